"""Validation unit by unit (with verdicts kept by content hash) reports what validating the whole
graph at once reports, on a small synthetic catalogue broken in many ways."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rdflib import OWL, XSD

from icc_graph import verdicts
from icc_graph.build import Timings, graph_from_data
from icc_graph.model import INTEGER, Lit, Quad, Term, as_graph
from icc_graph.namespaces import DEFAULT_BASE_IRI as BASE
from icc_graph.namespaces import GEO, ICC_IRI
from icc_graph.validate import load_shapes, run_shacl, shapes_text
from icc_graph.verdicts import Cache, validate_incrementally

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import generate  # noqa: E402

ID = f"{BASE}id/"
SLUG, START, END, PLACE, TOPIC, TITLE, ROLE, ORG_TYPE, LOCATED, LAT, SAME_AS = (
    ICC_IRI + "slug", ICC_IRI + "startYear", ICC_IRI + "endYear", ICC_IRI + "place",
    ICC_IRI + "topic", ICC_IRI + "title", ICC_IRI + "role", ICC_IRI + "organisationType",
    ICC_IRI + "locatedIn", str(GEO.lat), str(OWL.sameAs))
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def year(n: int) -> Lit:
    return Lit(str(n), None, INTEGER)


@pytest.fixture(scope="module")
def quads(tmp_path_factory: pytest.TempPathFactory) -> list[Quad]:
    data = generate(tmp_path_factory.mktemp("data") / "data", 30)
    _, quads = graph_from_data(data, BASE, Timings())
    return quads


def _where(quads: list[Quad], s: str, p: str) -> list[Quad]:
    return [q for q in quads if q[0] == s and q[1] == p]


def broken(quads: list[Quad]) -> list[Quad]:
    """A copy with a dozen and more faults, within records and across them."""
    out = list(quads)
    drop: set[Quad] = set()
    add: list[Quad] = []

    def graph_of(s: str) -> str:
        return next(q[3] for q in out if q[0] == s)

    def set_value(s: str, p: str, value: Term) -> None:
        olds = _where(out, s, p)
        drop.update(olds)
        add.append((s, p, value, olds[0][3] if olds else graph_of(s)))

    p = [f"{ID}practice/practice-{i}" for i in range(12)]
    drop.update(_where(out, p[0], SLUG))                                 # no slug
    set_value(p[1], SLUG, Lit("practice-2"))                         # duplicate slug
    set_value(p[3], START, year(1700))                            # out of range
    set_value(p[4], START, year(2030))                            # starts after end
    add.append((p[4], END, year(2001), graph_of(p[4])))
    set_value(p[5], PLACE, f"{ID}city/atlantis")                 # no such place
    add.append((p[6], TOPIC, f"{ID}country/pl", graph_of(p[6])))  # not a topic
    drop.update(_where(out, p[7], TITLE))                                # no title
    add.append((p[8], TITLE, Lit("Second", "en"), graph_of(p[8])))
    part = next(q for q in out if q[1] == ROLE)                          # a bad role
    drop.add(part)
    add.append((part[0], ROLE, ICC_IRI + "Nobody", part[3]))
    set_value(f"{ID}org/org-0", ORG_TYPE, Lit("alien"))      # not in the list
    set_value(f"{ID}org/org-1", SLUG, Lit("org-2"))                  # duplicate org slug
    drop.update(_where(out, f"{ID}city/city-0", LOCATED))              # a city nowhere
    add.append((p[9], SAME_AS, "https://example.org/x",                      # not Wikidata
                f"{BASE}graph/links/wikidata"))
    add.append((f"{ID}city/city-1", LAT, Lit("95.0", None, str(XSD.decimal)),  # off the globe
                f"{BASE}graph/links/geonames"))
    topic = next(q[2] for q in out if q[1] == TOPIC)                         # a topic untyped:
    drop.update(q for q in out if q[0] == topic and q[1] == RDF_TYPE)        # its practices
    #                                                                          point at nothing
    other = next(q[2] for q in out if q[1] == TOPIC and q[2] != topic)      # a topic without
    drop.update(q for q in out if q[0] == other and q[1] == ICC_IRI + "name"  # English name
                and isinstance(q[2], Lit) and q[2].lang == "en")
    return [q for q in out if q not in drop] + add


def _seen(violations: list[verdicts.Violation]) -> set[tuple[str, str | None, str | None, str]]:
    return {(v.focus, v.path, v.value, v.message) for v in violations}


def whole(quads: list[Quad]) -> set[tuple[str, str | None, str | None, str]]:
    return _seen(run_shacl(as_graph(quads, for_shapes=True), None, load_shapes()))


def test_the_copy_is_broken_in_many_ways(quads):
    assert whole(quads) == set()
    found = whole(broken(quads))
    assert len({focus for focus, *_ in found}) >= 12
    assert any("same slug" in m for *_, m in found)
    assert any("English name" in m for *_, m in found)  # a nested (qualified) shape


def test_per_unit_validation_reports_what_the_whole_graph_reports(quads):
    bad = broken(quads)
    found, validated = validate_incrementally(bad, BASE, shapes_text(), Cache(None))
    assert _seen(found) == whole(bad)
    assert validated > 30  # every practice is a unit of its own


def test_spread_over_two_processes_reports_the_same(quads, monkeypatch):
    monkeypatch.setattr(verdicts, "PARALLEL_FROM", 0)
    monkeypatch.setattr(verdicts, "BATCH_TRIPLES", 500)  # many batches
    bad = broken(quads)
    found, _ = validate_incrementally(bad, BASE, shapes_text(), Cache(None), workers=2)
    assert _seen(found) == whole(bad)


def test_a_rebuild_validates_only_what_changed(quads, tmp_path):
    bad = broken(quads)
    validate_incrementally(bad, BASE, shapes_text(), first := Cache(tmp_path))
    first.save()
    assert json.loads((tmp_path / verdicts.CACHE_FILE).read_text())
    again, validated = validate_incrementally(bad, BASE, shapes_text(), Cache(tmp_path))
    assert validated == 0 and _seen(again) == whole(bad)
    # one record edited: its fault is fixed; only its unit is validated again
    p3 = f"{ID}practice/practice-3"
    fixed = [q for q in bad if not (q[0] == p3 and q[1] == START)]
    fixed.append((p3, START, year(2010), f"{BASE}graph/practice/practice-3"))
    after, validated = validate_incrementally(fixed, BASE, shapes_text(), Cache(tmp_path))
    assert validated == 1
    assert _seen(after) == whole(fixed) and len(after) < len(again)


def test_a_removed_place_fails_the_practices_that_point_to_it(quads, tmp_path):
    """The things a record points to are part of its hash: deleting them revalidates it."""
    validate_incrementally(quads, BASE, shapes_text(), cache := Cache(tmp_path))
    cache.save()
    place = next(q[2] for q in quads if q[1] == PLACE and "/city/" in q[2])
    gone = [q for q in quads if q[0] != place]
    after, validated = validate_incrementally(gone, BASE, shapes_text(), Cache(tmp_path))
    assert validated >= 2  # the practice and the places bucket
    assert _seen(after) == whole(gone) != set()


@pytest.fixture()
def small_data(tmp_path: Path) -> Path:
    return generate(tmp_path / "data", 30)


def test_a_rebuild_with_the_cache_gives_the_same_release_as_a_full_one(small_data, tmp_path):
    from click.testing import CliRunner

    from icc_graph.build import build
    from icc_graph.cli import main

    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    assert (out / ".cache" / verdicts.CACHE_FILE).is_file()
    again = build(small_data, out, BASE)  # every verdict from the cache
    assert again.version == first.version
    full = tmp_path / "full"
    result = CliRunner().invoke(main, ["build", "--data", str(small_data), "--out", str(full),
                                       "--full"])
    assert result.exit_code == 0, result.output
    assert not (full / ".cache").exists()
    assert (full / "current" / "SHA256SUMS").read_bytes() == \
        (out / "current" / "SHA256SUMS").read_bytes()


def test_a_broken_record_fails_the_rebuild_and_leaves_the_release(small_data, tmp_path):
    from icc_graph.build import build
    from icc_graph.errors import DataError

    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    record = small_data / "practices" / "practice-4.yaml"
    good = record.read_text(encoding="utf-8")
    record.write_text(good.replace("source: https://", "source: ftp://"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        build(small_data, out, BASE)
    assert any("practice-4.yaml" in (p.file or "") for p in err.value.problems)
    assert (out / "current").resolve() == first.path.resolve()
    record.write_text(good, encoding="utf-8")  # fixed again: the verdict of before is reused
    assert build(small_data, out, BASE).version == first.version


@pytest.mark.parametrize("alone_up_to", [None, 1], ids=["beside", "too-much-for-one"])
def test_a_rebuild_validated_beside_the_writer_reports_what_a_full_build_reports(
        small_data, tmp_path, monkeypatch, alone_up_to):
    """A rebuild's validation runs in a process forked beside the release writer; a violation
    found there stops the build before anything is published, with the records' files and
    lines, as a full build reports it. With more changed than that process checks alone
    (``alone_up_to``), the build validates with its own pool and reports the same."""
    from icc_graph.build import build
    from icc_graph.errors import DataError

    if alone_up_to is not None:
        monkeypatch.setattr(verdicts, "PARALLEL_FROM", alone_up_to)
    out = tmp_path / "dist"
    first = build(small_data, out, BASE)
    record = small_data / "practices" / "practice-6.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace(
        "source: https://", "source: ftp://"), encoding="utf-8")
    said: list[str] = []
    with pytest.raises(DataError) as rebuilt:
        build(small_data, out, BASE, progress=said.append)
    with pytest.raises(DataError) as full:
        build(small_data, tmp_path / "full", BASE, full=True)
    assert [str(p) for p in rebuilt.value.problems] == [str(p) for p in full.value.problems]
    assert any(p.file and p.file.endswith("practice-6.yaml") and p.line
               for p in rebuilt.value.problems)
    assert not any("conforms" in line for line in said)
    assert (out / "current").resolve() == first.path.resolve()
    assert [p.name for p in (out / "versions").iterdir()] == [first.path.name]  # no other


SHAPE_KINDS = {  # shapes whose property shapes depend on their node shape, and data to break
    "closed": """ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true ;
        sh:ignoredProperties ( rdf:type ) ; sh:property [ sh:path ex:p ; sh:maxCount 1 ] .""",
    "severity": """ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:severity sh:Warning ;
        sh:property [ sh:path ex:p ; sh:maxCount 1 ] .""",
    "shared": """ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P .
        ex:T a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P .
        ex:P sh:path ex:p ; sh:maxCount 1 .""",
    "disjoint": """ex:S a sh:NodeShape ; sh:targetClass ex:C ;
        sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:datatype xsd:integer ] ;
                      sh:qualifiedValueShapesDisjoint true ; sh:qualifiedMinCount 1 ] ,
                    [ sh:path ex:p ; sh:qualifiedValueShape [ sh:datatype xsd:decimal ] ;
                      sh:qualifiedValueShapesDisjoint true ; sh:qualifiedMinCount 1 ] .""",
    "plain": """ex:S a sh:NodeShape ; sh:targetClass ex:C ;
        sh:property [ sh:path ex:p ; sh:maxCount 1 ] , [ sh:path ex:q ; sh:minCount 1 ] .""",
}


@pytest.mark.parametrize("kind", sorted(SHAPE_KINDS))
def test_targeting_the_batch_reports_what_the_shapes_as_written_report(kind):
    """``run_shacl_on`` (the shapes targeted at the batch) and pySHACL on the shapes as written
    give the same results, whatever the shapes: where a property shape depends on its node
    shape, it is left inside it."""
    from rdflib import Graph

    from icc_graph.validate import Violation, run_shacl, run_shacl_on

    prefixes = ("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> ."
                " @prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."
                " @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .")
    shapes = Graph().parse(data=prefixes + SHAPE_KINDS[kind], format="turtle")
    data = Graph().parse(data=prefixes + """ex:a a ex:C ; ex:p 1 , 2 ; ex:r 3 .
        ex:b a ex:C ; ex:p 1.5 ; ex:q 1 . ex:c a ex:C ; ex:p 7 .""", format="turtle")

    def seen(found: list[Violation]) -> set[tuple[str, str | None, str | None, str]]:
        return {(v.focus, v.path, v.value, v.message) for v in found}

    whole = seen(run_shacl(data, None, shapes))
    assert whole or kind == "severity"  # the data breaks every kind but a warning's
    focus = {"http://example.org/a", "http://example.org/b", "http://example.org/c"}
    assert seen(run_shacl_on(data, shapes, focus)) == whole
    assert seen(run_shacl_on(data, shapes, {"http://example.org/a"})) == {
        v for v in whole if v[0] == "http://example.org/a"}


def test_batches_are_two_per_core_but_none_past_the_most(monkeypatch):
    units = [f"u{i:03}" for i in range(100)]
    sizes = dict.fromkeys(units, 1_000)
    two_per_core = list(verdicts._batches(units, sizes, 2))
    assert len(two_per_core) == 4 and sum(map(len, two_per_core)) == 100
    monkeypatch.setattr(verdicts, "BATCH_MOST", 10_000)
    capped = list(verdicts._batches(units, sizes, 2))
    assert len(capped) == 10 and [u for b in capped for u in b] == units
    assert all(sum(sizes[u] for u in b) <= 10_000 for b in capped)
