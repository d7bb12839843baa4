"""A rebuild after one edited record: the store starts from the previous release's store (files
shared by hard links) and ends holding exactly what a build from scratch holds."""

from __future__ import annotations

import sys
from pathlib import Path

from icc_graph.build import build
from icc_graph.namespaces import DEFAULT_BASE_IRI as BASE
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
