"""A rebuild updates a copy of the previous release's read model where the changed records
touch it: after each kind of edit, every table holds, row for row, what a read model written
from scratch holds, and only a few documents were serialised anew."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from icc_graph.build import build
from icc_graph.namespaces import DEFAULT_BASE_IRI as BASE
from icc_graph.readmodel import DOCUMENTS_FILE, READ_MODEL_FILE, ReadModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import generate  # noqa: E402

DERIVED = {"documents_serialised"}  # meta rows that say how a model was written, not what


def tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, sorted (the meta rows about the writing left out), as the server
    reads them: the documents through their view (documents.sqlite and the rebuilds' own)."""
    con = ReadModel(path).connection()
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = "
                                           "'table' ORDER BY name")]
        out = {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        con.close()
    out["meta"] = [r for r in out["meta"] if r[0] not in DERIVED]
    return out


def _records(path: Path) -> list[dict[str, object]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _save(path: Path, value: object) -> None:
    path.write_text(yaml.safe_dump(value, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _practice(data: Path, n: int) -> tuple[Path, dict[str, object]]:
    path = data / "practices" / f"practice-{n}.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def retitle(data: Path) -> None:
    path, record = _practice(data, 3)
    record["title"] = {**record["title"], "en": "Practice 3, retitled"}  # type: ignore[dict-item]
    _save(path, record)


def add_partner(data: Path) -> None:
    path, record = _practice(data, 4)
    orgs = [o["slug"] for o in _records(data / "organisations.yaml")]
    held = {p["org"] for p in record.get("participants", [])}  # type: ignore[attr-defined]
    new = next(o for o in orgs if o not in held)
    record["participants"] = [*record.get("participants", []),  # type: ignore[misc]
                              {"org": new, "role": "partner"}]
    _save(path, record)


def remove_partner(data: Path) -> None:
    path, record = next((p, r) for p, r in (_practice(data, n) for n in range(1, 25))
                        if r.get("participants"))
    record["participants"] = record["participants"][1:]  # type: ignore[index]
    _save(path, record)


def add_practice(data: Path) -> None:
    path, record = _practice(data, 6)
    record["slug"] = "practice-99"
    record["title"] = {"en": "Practice 99, added", "fr": "Pratique 99"}
    _save(path.with_name("practice-99.yaml"), record)


def remove_practice(data: Path) -> None:
    (data / "practices" / "practice-7.yaml").unlink()


def rename_city(data: Path) -> None:
    """A name many documents show: the city's neighbours carry its label."""
    _, record = _practice(data, 8)
    city = record["places"][0]  # type: ignore[index]
    places = _records(data / "places.yaml")
    for place in places:
        if place["slug"] == city:
            place["label"] = {**place["label"], "en": "A city renamed"}  # type: ignore[dict-item]
    _save(data / "places.yaml", places)


def _project_cities(data: Path) -> tuple[list[dict[str, object]], dict[str, object], str]:
    """The projects, the first with a city among its participants, and a city it lacks."""
    projects = _records(data / "projects.yaml")
    project = next(p for p in projects if any("place" in x for x in p.get("participants", [])))  # type: ignore[attr-defined]
    held = {x.get("place") for x in project["participants"]}  # type: ignore[attr-defined]
    city = next(c["slug"] for c in _records(data / "places.yaml")
                if c.get("type") == "city" and c["slug"] not in held)
    return projects, project, str(city)


def add_city_to_project(data: Path) -> None:
    """Two cities of one project collaborate (each lists the other)."""
    projects, project, city = _project_cities(data)
    project["participants"] = [*project["participants"],  # type: ignore[misc]
                               {"place": city, "role": "partner-city"}]
    _save(data / "projects.yaml", projects)


def rename_a_project_city(data: Path) -> None:
    """Four steps from the change: the other city of the project shows this one's name among
    the cities it collaborates with (?this <- agent - ?a -> participationIn -> ?project <-
    participationIn - ?b -> agent -> ?x)."""
    _, project, _ = _project_cities(data)
    city = str(project["participants"][-1]["place"])  # type: ignore[index]
    places = _records(data / "places.yaml")
    for place in places:
        if place["slug"] == city:
            place["label"] = {**place["label"], "en": "A partner city renamed"}  # type: ignore[dict-item]
    _save(data / "places.yaml", places)


EDITS: list[Callable[[Path], None]] = [retitle, add_partner, remove_partner, add_practice,
                                       remove_practice, rename_city, add_city_to_project,
                                       rename_a_project_city]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("merged", [False, True], ids=["linked", "merged"])
def test_a_rebuilt_read_model_holds_what_a_fresh_one_holds(tmp_path, monkeypatch, merged):
    """After each edit; the documents.sqlite of the previous release is linked into the new
    one and left as it was, or (``merged``: once the rebuilds' own documents are many) copied
    and updated, the previous one still left as it was."""
    from icc_graph.readmodel import documents

    if merged:
        monkeypatch.setattr(documents, "MERGE_FROM", 1)
        monkeypatch.setattr(documents, "MERGE_SHARE", 10**9)
    data = generate(tmp_path / "data", 25)
    out = tmp_path / "dist"
    previous = build(data, out, BASE)
    before = tables(previous.path / READ_MODEL_FILE)
    for edit in EDITS:
        edit(data)
        kept = _sha256(previous.path / DOCUMENTS_FILE)
        again = build(data, out, BASE)
        assert _sha256(previous.path / DOCUMENTS_FILE) == kept, edit.__name__
        linked = (again.path / DOCUMENTS_FILE).stat().st_ino == \
            (previous.path / DOCUMENTS_FILE).stat().st_ino
        own = sqlite3.connect(again.path / READ_MODEL_FILE).execute(
            "SELECT count(*) FROM documents").fetchone()[0]
        assert (linked, own == 0) == ((False, True) if merged else (True, False)), edit.__name__
        previous = again
        fresh = build(data, tmp_path / f"fresh-{edit.__name__}", BASE, full=True)
        built, expected = (tables(r.path / READ_MODEL_FILE) for r in (again, fresh))
        assert built.keys() == expected.keys(), edit.__name__
        for name in expected:
            assert built[name] == expected[name], f"{name} after {edit.__name__}"
        assert built != before, f"{edit.__name__} changed nothing"
        meta = dict(sqlite3.connect(again.path / READ_MODEL_FILE).execute(
            "SELECT key, value FROM meta"))
        assert 0 < int(meta["documents_serialised"]) < int(meta["documents"]) // 4, \
            f"{edit.__name__}: the rebuild wrote every document again"
        before = built


def test_a_change_reaches_four_steps_along_the_joins_and_stops_at_ends():
    """``related.reached`` on a few triples: a project with two cities and a topic shared by
    two practices; the second city's name changes."""
    from icc_graph.readmodel import joins, related

    def iri(local: str) -> tuple[str, str]:
        return ("uri", f"{BASE}id/{local}")

    a, b, pj = iri("participation/a"), iri("participation/b"), iri("project/p")
    one, two, topic = iri("city/one"), iri("city/two"), iri("topic/t")
    x, y, far = iri("practice/x"), iri("practice/y"), iri("city/far")
    name = ("literal", "Two", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "en")
    triples = [(a, joins.AGENT, one), (a, joins.IN, pj), (b, joins.AGENT, two),
               (b, joins.IN, pj), (two, joins.NAME, name), (x, joins.PLACE, one),
               (x, joins.TOPIC, topic), (y, joins.TOPIC, topic), (y, joins.PLACE, far)]
    found = related.reached(triples, [(two, joins.NAME, name)])
    assert {two, b, pj, a, one} <= found  # one lists two among the cities it collaborates with
    assert x not in found  # five steps away
    title = ("literal", "X", name[2], "en")
    found = related.reached(triples, [(x, joins.TITLE, title)])
    assert {x, one, topic, a} <= found  # the topic lists x
    assert y not in found and far not in found  # not through the topic, an end
    assert y in related.reached(triples, [(x, joins.TOPIC, topic)])  # the change is the end's


def test_sections_of_a_few_things_are_those_of_every_thing(tmp_path):
    """A rebuild's joins start from the few things it makes again (``Graph.these``): their
    sections are those the joins over every triple give them, for things of every kind."""
    import random

    from icc_graph.build import Timings, read_graph
    from icc_graph.readmodel import joins, related

    data = generate(tmp_path / "data", 40)
    _, quads = read_graph(data, BASE, Timings())
    triples = joins.used_triples(quads)
    every = related.sections(triples, BASE)
    things = sorted({s for s, _, _ in triples if s[0] == "uri" and "/id/" in str(s[1])})
    kinds = {str(t[1]).split("/id/")[1].split("/")[0] for t in things}
    assert {"city", "org", "project", "programme", "grant", "country", "topic",
            "practice"} <= kinds
    pick = random.Random(7)
    for size in (1, 5, 40, len(things)):
        only = set(pick.sample(things, size))
        few = related.sections(triples, BASE, only)
        assert few == {k: v for k, v in every.items() if ("uri", k[0]) in only}, size
        assert few or size == 1
