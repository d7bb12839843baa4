"""Importing saved ICC pages (our own fixtures in the site's structure): practice pages in
English and French, HTML and text, list pages with several, no or unknown cities, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner
from rdflib import Graph, Namespace, URIRef

from icc_graph.build import build
from icc_graph.cli import main
from icc_graph.sources.pages import import_pages

from .conftest import BASE

PAGES = Path(__file__).parent / "fixtures" / "pages"
ICC = Namespace("https://w3id.org/icc-graph/def/icc#")


def read(data: Path, slug: str) -> dict:
    return yaml.safe_load((data / "practices" / f"{slug}.yaml").read_text(encoding="utf-8"))


def test_an_english_html_practice_page(small_data):
    done, problems = import_pages([PAGES / "practice-en.html"], small_data)
    assert problems == []
    rec = read(small_data, "welcome-desks-in-lublin")
    assert rec["title"] == {"en": "Welcome desks in Lublin"}
    assert rec["source"] == "https://www.coe.int/en/web/interculturalcities/-/welcome-desks-in-lublin"
    assert rec["period"] == {"text": "2019 - ongoing", "start": 2019, "ongoing": True}
    assert rec["places"] == ["lublin", "neuchatel"] and rec["countries"] == ["pl", "ch"]
    assert {"place": "lublin", "role": "lead-city"} in rec["participants"]
    assert {"place": "neuchatel", "role": "partner-city"} in rec["participants"]
    orgs = {p["org"] for p in rec["participants"] if "org" in p}
    assert {"lublin-integration-support-group", "cosm", "city-of-neuchatel",
            "lublin-police"} <= orgs
    assert "icei" not in orgs, "the project's implementers belong to the project"
    assert rec["projects"] == ["lublin-4-all", "itaca"]
    assert set(rec["text"]) == {"purpose", "process"}
    text = "\n".join(done)
    assert "itaca, already in the data (grant 963374, programme rec" in text
    assert "icei, municipality-of-reggio-emilia, municipality-of-modena" in text
    for chrome in ("Diminuer", "Template for collection", "Covid", "Filter by", "Home"):
        assert chrome not in yaml.safe_dump(rec, allow_unicode=True)


def test_the_imported_page_builds_with_the_facts_of_its_project(small_data, tmp_path):
    import_pages([PAGES / "practice-en.html"], small_data, facts_only=True)
    assert "text" not in read(small_data, "welcome-desks-in-lublin")
    release = build(small_data, tmp_path / "dist", BASE)
    g = Graph().parse(release.path / "icc-graph.ttl")
    practice = URIRef(f"{BASE}id/practice/welcome-desks-in-lublin")
    itaca = URIRef(f"{BASE}id/project/itaca")
    assert (practice, ICC.relatedProject, itaca) in g
    rows = list(g.query("""
        PREFIX icc: <https://w3id.org/icc-graph/def/icc#>
        SELECT ?number ?programme ?funder WHERE {
            ?practice icc:relatedProject ?p . ?p icc:grant ?g .
            ?g icc:grantNumber ?number ; icc:programme/icc:acronym ?programme ;
               icc:funder/icc:name ?funder . FILTER(lang(?funder) = "en") }""",
                        initBindings={"practice": practice}))
    assert [(str(a), str(b), str(c)) for a, b, c in rows] == \
        [("963374", "REC", "European Commission")]


def test_a_french_text_page(small_data):
    done, problems = import_pages([PAGES / "practice-fr.txt"], small_data,
                                  source="https://coe.int/fr/web/interculturalcities/-/guichets"
                                         "?p_l_back_url=%2Ffr")
    rec = read(small_data, "guichets")
    assert rec["title"] == {"fr": "Les guichets d'accueil de Neuchâtel"}
    assert rec["source"] == "https://www.coe.int/fr/web/interculturalcities/-/guichets"
    assert rec["period"]["start"] == 2014 and rec["period"]["ongoing"] is True
    orgs = {p["org"] for p in rec["participants"] if "org" in p}
    assert {"la-lanterne-magique", "city-of-neuchatel"} <= orgs
    assert set(rec["text"]) == {"purpose", "process"}


def test_list_pages_split_the_header_line(small_data):
    done, problems = import_pages([PAGES / "list-en.txt", PAGES / "list-fr.html"], small_data)
    assert problems == []
    twin = read(small_data, "twin-schools-of-emilia")
    assert twin["places"] == ["reggio-emilia", "modena"]
    assert (twin["period"]["start"], twin["period"]["end"]) == (2011, 2014)
    national = read(small_data, "equality-data-across-the-country")
    assert national["countries"] == ["be"] and "places" not in national
    unknown = read(small_data, "a-practice-in-an-unknown-town")
    assert unknown["period"]["text"] == "2016"
    assert any("'Atlantis' is no known place" in d for d in done)
    barcelona = read(small_data, "espai-avinyo")
    assert barcelona["places"] == ["barcelona"] and barcelona["countries"] == ["es"]
    camden = read(small_data, "valeurs-communes-de-camden")
    assert camden["places"] == ["camden"] and camden["period"]["start"] == 2014


def test_bad_files_are_reported_and_the_others_imported(small_data):
    files = [PAGES / n for n in ("empty.txt", "not-a-practice.txt", "unknown-language.html",
                                 "truncated.html", "practice-en.html")]
    done, problems = import_pages(files, small_data)
    text = "\n".join(problems)
    assert "empty.txt: the file is empty" in text
    assert "not-a-practice.txt: not a good-practice page" in text
    assert "unknown-language.html: unknown language 'xx'" in text
    assert (small_data / "practices" / "truncated-welcome-desks-in-lublin.yaml").exists()
    assert (small_data / "practices" / "welcome-desks-in-lublin.yaml").exists()


def test_importing_twice_changes_nothing(small_data):
    import_pages([PAGES / "practice-en.html", PAGES / "list-en.txt"], small_data)
    before = {p.name: p.read_bytes() for p in (small_data / "practices").iterdir()}
    done, _ = import_pages([PAGES / "practice-en.html", PAGES / "list-en.txt"], small_data)
    assert all("unchanged" in d for d in done if d.startswith(str(PAGES)) or "wrote" in d)
    assert {p.name: p.read_bytes() for p in (small_data / "practices").iterdir()} == before


def test_a_reviewed_record_is_never_replaced(small_data):
    import_pages([PAGES / "practice-en.html"], small_data)
    path = small_data / "practices" / "welcome-desks-in-lublin.yaml"
    rec = yaml.safe_load(path.read_text(encoding="utf-8"))
    rec["status"], rec["topics"] = "reviewed", ["education"]
    path.write_text(yaml.safe_dump(rec, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    for force in ([], ["--force"]):
        result = runner.invoke(main, ["import", "page", str(PAGES / "practice-en.html"),
                                      "--data", str(small_data), *force])
        assert "is reviewed and was kept" in result.output
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["topics"] == ["education"]


def test_an_edited_record_is_kept_unless_forced_and_then_the_difference_shown(small_data):
    import_pages([PAGES / "practice-en.html"], small_data)
    path = small_data / "practices" / "welcome-desks-in-lublin.yaml"
    rec = yaml.safe_load(path.read_text(encoding="utf-8"))
    rec["topics"] = ["education"]
    path.write_text(yaml.safe_dump(rec, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["import", "page", str(PAGES / "practice-en.html"),
                                  "--data", str(small_data)])
    assert "was edited since its import and was kept" in result.output
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["topics"] == ["education"]
    result = runner.invoke(main, ["import", "page", str(PAGES / "practice-en.html"),
                                  "--data", str(small_data), "--force"])
    assert result.exit_code == 0
    assert "-topics:" in result.output or "- education" in result.output
    assert "topics" not in yaml.safe_load(path.read_text(encoding="utf-8"))


def test_exit_status(small_data, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["import", "page", str(PAGES / "practice-en.html"),
                              str(PAGES / "empty.txt"), "--data", str(small_data)])
    assert ok.exit_code == 0  # records written, even with a file left out
    bad = runner.invoke(main, ["import", "page", str(PAGES / "empty.txt"), "--data",
                               str(small_data)])
    assert bad.exit_code == 1
    shutil.rmtree(small_data / "practices")
