"""A rebuild after one edited record: the store starts from the previous release's store (files
shared by hard links) and ends holding exactly what a build from scratch holds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from icc_graph.build import build
from icc_graph.errors import DataError
from icc_graph.namespaces import DEFAULT_BASE_IRI as BASE
from icc_graph.release import read_sums
from icc_graph.store.oxigraph import open_read_only

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import generate  # noqa: E402


def held(store_dir: Path) -> set[object]:
    store = open_read_only(store_dir)
    try:
        return set(store)
    finally:
        del store


def test_a_rebuild_reuses_the_store_and_holds_what_a_fresh_build_holds(tmp_path):
    data = generate(tmp_path / "data", 25)
    out = tmp_path / "dist"
    first = build(data, out, BASE)
    record = data / "practices" / "practice-3.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace(
        "Practice 3 on diversity", "Practice 3 on diversity, edited"), encoding="utf-8")
    second = build(data, out, BASE)
    assert second.version != first.version
    fresh = build(data, tmp_path / "fresh", BASE)
    assert fresh.version == second.version
    assert read_sums(second.path) == read_sums(fresh.path)  # every file, byte for byte
    assert held(second.path / "store") == held(fresh.path / "store")
    titles = {q.object.value for q in held(second.path / "store")
              if q.predicate.value.endswith("#title")}
    assert "Practice 3 on diversity, edited" in titles
    assert "Practice 3 on diversity" not in titles
    shared = [p for p in (second.path / "store").iterdir()
              if p.is_file() and p.stat().st_nlink > 1]
    assert shared, "no file of the previous store was shared"
    # the previous release still holds its own content
    assert "Practice 3 on diversity" in {q.object.value for q in held(first.path / "store")
                                         if q.predicate.value.endswith("#title")}


def test_a_rebuild_reads_what_changed_and_reports_a_bad_file_as_a_fresh_build_does(tmp_path):
    """Records come from --out/.cache for the files that did not change: removing a record,
    adding one, and breaking one give what a build without the cache gives."""
    data = generate(tmp_path / "data", 25)
    out = tmp_path / "dist"
    build(data, out, BASE)
    assert (out / ".cache" / "records.pickle").is_file()
    (data / "practices" / "practice-5.yaml").unlink()
    added = data / "practices" / "practice-99.yaml"
    added.write_text((data / "practices" / "practice-4.yaml").read_text(encoding="utf-8")
                     .replace("practice-4", "practice-99"), encoding="utf-8")
    again = build(data, out, BASE)
    assert read_sums(again.path) == read_sums(build(data, tmp_path / "fresh", BASE, full=True).path)
    record = data / "practices" / "practice-7.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("topics:", "topcs:")
                      .replace("- city-", "- cty-", 1), encoding="utf-8")
    with pytest.raises(DataError) as cached:
        build(data, out, BASE)
    with pytest.raises(DataError) as uncached:
        build(data, tmp_path / "other", BASE, full=True)
    assert [str(p) for p in cached.value.problems] == [str(p) for p in uncached.value.problems]
    assert any(p.field == "topcs" and p.file and p.file.endswith("practice-7.yaml")
               for p in cached.value.problems)
    with pytest.raises(DataError) as twice:  # a bad file is never kept: read again, same errors
        build(data, out, BASE)
    assert [str(p) for p in twice.value.problems] == [str(p) for p in cached.value.problems]


def test_records_parsed_on_every_core_are_those_of_one_process(tmp_path, monkeypatch):
    """A large folder's record files are parsed by a pool of processes: the records, and the
    problems of bad files (in file order, with their lines), are those of one process."""
    from icc_graph import loader

    data = generate(tmp_path / "data", 40)
    alone = loader.read_records(data)
    monkeypatch.setattr(loader, "PARALLEL_FILES", 1)
    assert loader.read_records(data) == alone
    for n, (old, new) in {3: ("topics:", "topcs:"), 17: ("- city-", "- cty-"),
                          31: ("status:", "status: [")}.items():
        record = data / "practices" / f"practice-{n}.yaml"
        record.write_text(record.read_text(encoding="utf-8").replace(old, new, 1),
                          encoding="utf-8")
    with pytest.raises(DataError) as pooled:
        loader.read_records(data)
    monkeypatch.setattr(loader, "PARALLEL_FILES", 10**9)
    with pytest.raises(DataError) as serial:
        loader.read_records(data)
    assert [str(p) for p in pooled.value.problems] == [str(p) for p in serial.value.problems]
    assert {p.file.rsplit("/", 1)[-1] for p in serial.value.problems if p.file} >= {
        "practice-3.yaml", "practice-17.yaml", "practice-31.yaml"}


def test_graph_digests_tell_apart_contents_that_join_alike():
    """The store and the dumps reuse a named graph when its digest is unchanged: two different
    contents never share one, even when a literal holds the characters that separate terms."""
    from icc_graph.model import Lit
    from icc_graph.release import _graph_digests

    g = "https://example.org/graph/1"
    contents = [
        [("s", "p", "o", g)], [("s", "p", Lit("o"), g)], [("s", "p", Lit("o", "en"), g)],
        [("s", "p", Lit("o", None, "en"), g)], [("s", "p", Lit("a\x1fb"), g)],
        [("s", "p", Lit("a"), g), ("b", "p", Lit("c"), g)],
        [("s", "p", Lit("a\x1eb\x1fp\x1fc"), g)], [("s", "p", Lit("a\x1d\x1d"), g)],
        [("s", "p", Lit("a", "\x1d"), g)]]
    digests = [_graph_digests(c)[g] for c in contents]  # type: ignore[arg-type]
    assert len(set(digests)) == len(contents)
    assert _graph_digests([("s", "p", Lit("a\x1fb"), g)])[g] == digests[4]  # and stable
