"""The catalogue import on small fixtures: old-form detail pages stay apart, copies of one
practice are merged on evidence (page, title in the same place across languages, a duplicate
mark, a project that is the practice), news and event reports are left out with their reason,
corrections of the curation file are applied, and a re-import from scratch gives the same
records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from icc_graph.errors import DataError
from icc_graph.loader import read_records
from icc_graph.names import normalise
from icc_graph.sources.catalogue import detail_slug, import_catalogue

OLD = "https://www.coe.int/en/web/interculturalcities/good-pratice/-/asset_publisher/lA8MBwPd2Unw"
LISTING = "https://coe.int/fr/web/interculturalcities/good-practice?delta=10&start=3"


def entry(title: str, city: str, country: str, url: str, years: str = "", lang: str = "en",
          kind: str = "detail", **extra: object) -> dict[str, object]:
    return {"title": title, "country": country, "city": city, "years": years, "lang": lang,
            "source_url": url, "topics": [], "partners": [], "projects": [], "funders": [],
            "kind": kind, **extra}


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


SEED = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"


def practices(data: Path) -> dict[str, dict[str, object]]:
    """The imported practices (not the hand-made seed of the small data folder)."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in (data / "practices").glob("*.yaml") if p.stem != SEED}


def test_old_form_detail_pages_are_different_practices(small_data, tmp_path):
    rows = [
        entry("Safer streets", "Lisbon", "Portugal", f"{OLD}/content/safer-streets?x=1"),
        entry("Mediation in Camden", "Camden", "United Kingdom",
              f"{OLD}/content/mediation-in-camden"),
        entry("House of Peace", "San Sebastian", "Spain", f"{OLD}/content/house-of-peace"),
    ]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    got = practices(small_data)
    for slug, place in (("safer-streets", "lisbon"), ("mediation-in-camden", "camden"),
                        ("house-of-peace", "san-sebastian")):
        assert got[slug]["places"] == [place]
        assert len(got[slug]["countries"]) == 1
        assert str(got[slug]["source"]).endswith(f"/content/{slug}")
    assert "asset-publisher" not in got and report.merges == []
    assert detail_slug(f"{OLD}") is None


def test_copies_across_languages_and_exonyms_are_one_practice_with_evidence(small_data, tmp_path):
    rows = [
        entry("Espai Avinyó", "Barcelona", "Spain", LISTING, "2011 - ongoing", kind="listing"),
        entry("Espai Avinyó", "Barcelone", "Espagne", LISTING + "&x", "2011 - ongoing", "fr",
              kind="listing"),
        # the same title in another city is another practice
        entry("Espai Avinyó", "Lublin", "Poland", LISTING + "&y", "2015", kind="listing"),
    ]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    got = practices(small_data)
    by_place = {tuple(p.get("places", [])) for p in got.values()
                if normalise(p["title"]["en"]) == "espai avinyo"}
    assert by_place == {("barcelona",), ("lublin",)}
    assert len(report.merges) == 1
    assert "'Espai Avinyó'" in report.merges[0] and "barcelona" in report.merges[0]


def test_exonyms_come_from_the_gazetteer_of_the_reviewed_geonames_matches(small_data, tmp_path):
    from icc_graph.coordinates import GEONAMES_FILE, GeoLink, write_geolinks

    places = small_data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8") + "- slug: copenhagen\n  type: city\n"
                      "  label: {en: Copenhagen}\n  country: dk\n  status: imported\n",
                      encoding="utf-8")
    write_geolinks(small_data / GEONAMES_FILE, [GeoLink(
        "copenhagen", "Copenhagen", "dk", "2618425", "Copenhagen", "55.67594", "12.56553",
        "matched", "GeoNames name 'Copenhagen' in DK")])
    rows = [
        entry("Host programme", "Copenhagen", "Denmark", LISTING, "2019", kind="listing"),
        entry("Host programme", "Copenhague", "Danemark", LISTING + "&q", "2019", "fr",
              kind="listing"),
        entry("Host programme", "København", "Denmark", LISTING + "&r", "2019", "da",
              kind="listing"),
    ]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    assert {k: v["places"] for k, v in practices(small_data).items()} == {
        "host-programme": ["copenhagen"]}
    assert len(report.merges) == 2
    assert "copenhague" not in places.read_text(encoding="utf-8")


def test_a_duplicate_mark_and_a_project_that_is_the_practice_merge_copies(small_data, tmp_path):
    rows = [
        entry("Ongi Etorri Eskolara!", "San Sebastian", "Spain", LISTING, "Since 2014",
              kind="listing"),
        entry("Une approche interculturelle dans les écoles", "Donostia-San Sebastián",
              "Espagne", LISTING + "&z", "en cours", "fr", kind="listing",
              projects=["Ongi etorri eskolara!"]),
        entry("Accueil des élèves", "San Sebastian", "Espagne", LISTING + "&w", "", "fr",
              kind="listing", probable_duplicate_of="ongi-etorri-eskolara"),
    ]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    got = practices(small_data)
    assert list(got) == ["ongi-etorri-eskolara"]
    assert got["ongi-etorri-eskolara"]["title"]["fr"] in {
        "Une approche interculturelle dans les écoles", "Accueil des élèves"}
    evidence = "\n".join(report.merges)
    assert "its one project 'Ongi etorri eskolara!' is that practice" in evidence
    assert "probable duplicate of 'ongi-etorri-eskolara'" in evidence


@pytest.mark.parametrize(("row", "why"), [
    (entry("Memorandum on the interreligious council has just been signed", "Lublin",
           "Poland", "https://www.coe.int/en/web/interculturalcities/-/memorandum", "9 May 2017"),
     "publication date"),
    (entry("The city has unveiled two funding programmes", "Lublin", "Poland",
           "https://www.coe.int/pt/web/interculturalcities/-/funding", "Since 2018"),
     "perfect tense"),
    (entry("Lublin - Festival of cultures", "Lublin", "Poland",
           "http://www.coe.int/en/web/interculturalcities/intercultural-activities",
           "8-11 September 2016", kind="listing"), "days of an event"),
    (entry("Launch of the intercultural guide", "Lublin", "Poland",
           "https://www.coe.int/en/web/interculturalcities/-/launch", "2019"), "names an event"),
    (entry("Diversity Day", "Lublin", "Poland", LISTING, "2019", kind="listing",
           note="a news item of the city"), "note says 'news'"),
    (entry("A report on diversity", "Lublin", "Poland",
           "https://www.coe.int/en/web/interculturalcities/newsroom/-/asset_publisher/Sd/"
           "content/a-report-on-diversity", ""), "news section"),
])
def test_news_items_are_left_out_with_their_reason(small_data, tmp_path, row, why):
    from .conftest import DATA

    (small_data / "curation").mkdir()
    shutil.copy(DATA / "curation" / "catalogue.yaml", small_data / "curation")
    keep = entry("Welcome desks", "Lublin", "Poland",
                 "https://www.coe.int/en/web/interculturalcities/-/welcome-desks", "2019")
    report = import_catalogue(write(tmp_path / "c.jsonl", [keep, row]), small_data,
                              today="2026-01-01")
    assert set(practices(small_data)) == {"welcome-desks"}
    [left] = [x for x in report.left_out if row["title"] in x]
    assert "c.jsonl:2" in left and "news, not a practice" in left and why in left


def test_a_copy_that_was_seen_on_another_copys_page_joins_it(small_data, tmp_path):
    rows = [
        entry("Welcome desks", "Lublin", "Poland",
              "https://www.coe.int/en/web/interculturalcities/-/welcome-desks", "2019"),
        entry("Guichets d'accueil", "Lublin", "Pologne", LISTING, "2019", "fr", kind="listing",
              also_seen_in=["https://www.coe.int/fr/web/interculturalcities/-/welcome-desks"]),
    ]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    assert list(practices(small_data)) == ["welcome-desks"]
    assert "also seen on that copy's page" in report.merges[0]


def test_a_news_copy_does_not_remove_a_practice_listed_with_a_period(small_data, tmp_path):
    rows = [
        entry("Bradford for everyone", "Lublin", "Poland",
              "https://www.coe.int/en/web/interculturalcities/newsroom/-/asset_publisher/Sd/"
              "content/bradford-for-everyone", "8 December 2020"),
        entry("Bradford for everyone", "Lublin", "Poland", LISTING, "2020", kind="listing"),
    ]
    import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    assert practices(small_data)["bradford-for-everyone"]["period"]["start"] == 2020


def test_a_detail_pages_bare_year_is_not_a_start(small_data, tmp_path):
    rows = [entry("Art therapy", "Lublin", "Poland",
                  "https://www.coe.int/en/web/interculturalcities/-/art-therapy", "2016")]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    assert "period" not in practices(small_data)["art-therapy"]
    assert any("year of the write-up" in n for n in report.notes)


def test_corrections_are_applied_and_kept_by_a_reimport(small_data, tmp_path):
    (small_data / "curation").mkdir()
    (small_data / "curation" / "catalogue.yaml").write_text(yaml.safe_dump({"corrections": [
        {"practice": "diversity-at-work", "field": "place", "value": "Lublin",
         "source": LISTING},
        {"practice": "diversity-at-work", "field": "period", "value": "2013-",
         "source": LISTING},
        {"practice": "diversity-at-work", "field": "title_fr", "value": "La diversité au travail",
         "source": LISTING},
    ]}, allow_unicode=True), encoding="utf-8")
    rows = [entry("Diversity at work", "", "Poland",
                  "https://www.coe.int/en/web/interculturalcities/-/diversity-at-work")]
    file = write(tmp_path / "c.jsonl", rows)
    report = import_catalogue(file, small_data, today="2026-01-01")
    rec = practices(small_data)["diversity-at-work"]
    assert rec["places"] == ["lublin"] and rec["period"]["start"] == 2013
    assert rec["title"]["fr"] == "La diversité au travail"
    assert "https://www.coe.int/fr/web/interculturalcities/good-practice?delta=10&start=3" \
        in rec["also_seen_at"]
    assert len(report.corrections) == 3
    again = import_catalogue(file, small_data, today="2026-01-02")
    assert again.written == [] and again.unchanged == 1


def test_a_shared_record_without_a_slug_is_an_error_with_its_line(small_data, tmp_path):
    places = small_data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8") + "- type: city\n  label: {en: X}\n",
                      encoding="utf-8")
    rows = [entry("Anything", "Lublin", "Poland", LISTING, kind="listing")]
    with pytest.raises(DataError) as err:
        import_catalogue(write(tmp_path / "c.jsonl", rows), small_data)
    [problem] = err.value.problems
    assert problem.file.endswith("places.yaml") and problem.field == "slug" and problem.line


def test_no_two_practices_of_the_real_data_share_a_title_and_a_place():
    from .conftest import DATA

    records = read_records(DATA)
    seen: dict[tuple[str, str], str] = {}
    for p in records.practices.values():
        for title in p.titles.values():
            for where in p.places or p.countries:
                key = (normalise(title), where)
                assert seen.setdefault(key, p.slug) == p.slug, (key, seen[key], p.slug)


def test_a_reimport_from_scratch_reproduces_the_committed_practices(tmp_path):
    """The committed records are what the importer makes of the source files."""
    from .conftest import DATA

    shared = Path("/work/shared/data")
    sources = [shared / "icc-practices.jsonl", shared / "icc-practices-more.jsonl"]
    if not all(p.exists() for p in sources):
        pytest.skip("the catalogue source files (docs/importing.md) are not on this machine")
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    for path in (data / "practices").glob("*.yaml"):
        if yaml.safe_load(path.read_text(encoding="utf-8"))["status"] == "imported":
            path.unlink()
    import_catalogue(sources, data)
    strip = {"updated"}

    def records(folder: Path) -> dict[str, object]:
        return {p.name: {k: v for k, v in yaml.safe_load(p.read_text(encoding="utf-8")).items()
                         if k not in strip}
                for p in sorted((folder / "practices").glob("*.yaml"))}

    assert records(data) == records(DATA)
    for name in ("places.yaml", "organisations.yaml", "projects.yaml", "programmes.yaml"):
        assert (data / name).read_text(encoding="utf-8") == \
            (DATA / name).read_text(encoding="utf-8"), name


def test_imported_shared_records_nothing_uses_are_removed(small_data, tmp_path):
    orgs = small_data / "organisations.yaml"
    orgs.write_text(orgs.read_text(encoding="utf-8") + "- slug: left-over\n  label: {en: Left "
                    "over}\n  status: imported\n", encoding="utf-8")
    rows = [entry("Anything", "Lublin", "Poland", LISTING, kind="listing")]
    report = import_catalogue(write(tmp_path / "c.jsonl", rows), small_data, today="2026-01-01")
    text = orgs.read_text(encoding="utf-8")
    assert "left-over" not in text and "slug: icei" in text  # reviewed records stay
    assert any("left-over" in n for n in report.notes)


def test_the_formerly_merged_practices_of_the_real_data_stand_apart():
    from .conftest import DATA

    records = read_records(DATA)
    assert "asset-publisher" not in records.practices
    for slug in ("culture-is-the-basis-of-community-sustainable-development",
                 "soft-law-to-support-policy-actions", "safer-alta-de-lisboa",
                 "providing-intercultural-mediation-in-camden-an-efficient-tool-for-a-harmonious"
                 "-life-in-the-borough", "house-of-peace-and-human-rights"):
        p = records.practices[slug]
        assert p.source.endswith(f"/content/{slug}") and len(p.countries) == 1, slug
    # the one that names no city or country is left out, with the reason in the report
    report = (DATA / "curation" / "catalogue-import-report.txt").read_text(encoding="utf-8")
    assert "'Equality in diverse societies': no place and no country" in report
    assert sum(1 for p in records.practices.values()
               if normalise(p.titles.get("en", "")) == "espai avinyo") == 1
