"""Importing the catalogue: merging copies of one practice, matching names, leaving out what is
not a practice or is personal, and re-running without changing anything."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from icc_graph.build import build
from icc_graph.errors import DataError
from icc_graph.sources.catalogue import canonical_url, import_catalogue

from .conftest import BASE

FIXTURE = Path(__file__).parent / "fixtures" / "catalogue.jsonl"
CURATION = """
exclude_notes_containing: [news]
person_occupations: [photographer]
not_organisations: [local universities]
same_practice:
  - [Welcome desk for newcomers, Le guichet d’accueil des nouveaux arrivants]
title_languages:
  Le guichet d’accueil des nouveaux arrivants: fr
topic_synonyms: {}
"""


@pytest.fixture
def imported(small_data: Path):
    (small_data / "curation").mkdir()
    (small_data / "curation" / "catalogue.yaml").write_text(CURATION, encoding="utf-8")
    report = import_catalogue(FIXTURE, small_data, today="2026-01-01")
    return small_data, report


def read(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def snapshot(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*.yaml"))}


def test_copies_of_one_practice_are_merged(imported):
    data, report = imported
    rec = read(data / "practices" / "welcome-desk-for-newcomers.yaml")
    assert rec["title"] == {"en": "Welcome desk for newcomers",
                            "fr": "Le guichet d’accueil des nouveaux arrivants"}
    assert rec["places"] == ["lublin"] and rec["countries"] == ["pl"]
    assert rec["period"] == {"text": "2019 - ongoing", "start": 2019, "ongoing": True}
    assert rec["source"] == "https://www.coe.int/en/web/interculturalcities/-/welcome-desk-for-newcomers"
    assert "https://www.coe.int/sr/web/interculturalcities/good-practice?delta=20&start=11" \
        in rec["also_seen_at"]
    assert rec["status"] == "imported"
    assert len(report.written) == 3


def test_names_are_matched_to_existing_records(imported):
    data, _ = imported
    rec = read(data / "practices" / "welcome-desk-for-newcomers.yaml")
    assert {"org": "lublin-integration-support-group", "role": "partner"} in rec["participants"]
    assert rec["projects"] == ["lublin-4-all"]
    assert rec["programmes"] == ["rec"]
    twin = read(data / "practices" / "twin-schools.yaml")
    assert twin["places"] == ["reggio-emilia", "modena"]
    assert {"org": "municipality-of-modena", "role": "partner"} in twin["participants"]
    assert {"org": "municipality-of-reggio-emilia", "role": "coordinator"} in twin["participants"]
    assert (twin["period"]["start"], twin["period"]["end"]) == (2011, 2014)


def test_new_organisations_get_records_with_acronyms(imported):
    data, report = imported
    orgs = {o["slug"]: o for o in read(data / "organisations.yaml")}
    era = orgs["example-refugee-association"]
    assert era["acronym"] == "ERA" and era["status"] == "imported" and era["type"] == "ngo"
    assert report.new_shared["organisations"] == 1


def test_people_generic_names_news_and_untitled_entries_are_left_out(imported):
    data, report = imported
    text = "".join(p.read_text(encoding="utf-8") for p in data.rglob("*.yaml")
                   if p.parent.name != "curation")
    assert "Jane Example" not in text
    assert any("private person" in x for x in report.left_out)
    assert "local universities" not in text
    assert not (data / "practices" / "a-new-guide-is-out.yaml").exists()
    assert any("news" in x for x in report.left_out)
    assert any("no title" in x for x in report.left_out)
    assert any("Not a topic" in x for x in report.notes)


def test_a_country_practice_has_the_country_as_place(imported, tmp_path):
    data, _ = imported
    rec = read(data / "practices" / "equality-data-across-the-country.yaml")
    assert rec["countries"] == ["be"] and "places" not in rec
    release = build(data, tmp_path / "dist", BASE)  # and the import builds and conforms
    assert release.triples > 0


def test_a_second_run_changes_nothing(imported):
    data, _ = imported
    before = snapshot(data)
    report = import_catalogue(FIXTURE, data, today="2026-02-02")
    assert report.written == [] and report.unchanged == 3
    assert snapshot(data) == before


def test_reviewed_records_are_never_replaced_and_edited_ones_only_when_forced(imported):
    data, _ = imported
    reviewed = data / "practices" / "twin-schools.yaml"
    rec = read(reviewed)
    rec["status"], rec["title"] = "reviewed", {"en": "Twin schools of Emilia"}
    reviewed.write_text(yaml.safe_dump(rec, allow_unicode=True), encoding="utf-8")
    edited = data / "practices" / "welcome-desk-for-newcomers.yaml"
    rec = read(edited)
    rec["topics"] = ["education"]
    edited.write_text(yaml.safe_dump(rec, allow_unicode=True), encoding="utf-8")

    report = import_catalogue(FIXTURE, data, today="2026-02-02")
    assert read(reviewed)["title"] == {"en": "Twin schools of Emilia"}
    assert read(edited)["topics"] == ["education"]
    assert report.kept_reviewed == ["twin-schools"]
    assert report.kept_edited == ["welcome-desk-for-newcomers"]

    import_catalogue(FIXTURE, data, force=True, today="2026-02-02")
    assert read(reviewed)["title"] == {"en": "Twin schools of Emilia"}
    assert read(edited)["topics"] == ["welcoming-and-social-integration"]


def test_malformed_json_names_the_line_and_writes_nothing(small_data, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], '{"title": "broken", ', *lines[1:]]), encoding="utf-8")
    before = snapshot(small_data)
    with pytest.raises(DataError) as exc:
        import_catalogue(bad, small_data)
    assert "bad.jsonl:2" in str(exc.value) and "malformed JSON" in str(exc.value)
    assert snapshot(small_data) == before


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://coe.int/sr/c/portal/update_language?languageId=eu_ES&p_l_id=1&redirect="
     "%2Fsr%2Fweb%2Finterculturalcities%2Fgood-practice%3Fdelta%3D20%26start%3D11",
     "https://www.coe.int/sr/web/interculturalcities/good-practice?delta=20&start=11"),
    ("https://coe.int/fr/web/interculturalcities/-/some-practice?p_l_back_url=%2Ffr%2Fweb",
     "https://www.coe.int/fr/web/interculturalcities/-/some-practice"),
    ("https://taipan.fr/a-mirror", "https://taipan.fr/a-mirror"),
])
def test_canonical_urls(url, canonical):
    assert canonical_url(url) == canonical
