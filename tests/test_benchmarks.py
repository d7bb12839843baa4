"""The read benchmark's harness, run for real on the fixture release with tiny durations: every
request it generates answers 2xx/3xx on our server and the same size as Oxigraph's answer, and
its figures come back as JSON. Speed itself is measured by the script, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from icc_graph.paths import ROOT
from icc_graph.release import Release

from .conftest import FIXTURE_PRACTICES

CASES = {"document (RDF)", "/id → 303", "entity page", "city page", "/practices",
         "/practices.json", "SPARQL listing", "SPARQL facet"}
WITH_OXIGRAPH = {"document (RDF)", "SPARQL listing", "SPARQL facet"}


def test_the_read_benchmark_runs_every_case_against_its_floor(fixture_release: Release,
                                                               tmp_path: Path):
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "server_read.py"), "--release",
         str(fixture_release.path), "--seconds", "1", "--connections", "1", "--workers", "1",
         "--max-requests", "15", "--check", "15", "--first", "home", "/practices",
         "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    [figures] = json.loads(out.read_text())
    assert figures["practices"] == len(FIXTURE_PRACTICES)
    assert figures["failed_checks"] == {}, figures["failed_checks"]
    rows = {row["case"]: row for row in figures["cases"]}
    assert set(rows) == CASES
    for name, row in rows.items():
        ours = row["ours"]
        assert ours["requests"] > 0 and ours["errors"] == 0, (name, ours)
        assert 0 < ours["p50_ms"] <= ours["p99_ms"]
        assert row["hello"]["requests"] > 0 and row["hello"]["errors"] == 0
        assert row["ratio_hello"] > 0
        if name in WITH_OXIGRAPH:
            assert row["oxigraph"]["requests"] > 0 and row["oxigraph"]["errors"] == 0
            assert row["ratio"] > 0
        else:
            assert "oxigraph" not in row
        if name.startswith("SPARQL"):  # and beside the floor of a Python front end
            assert row["in_flask"]["requests"] > 0 and row["in_flask"]["errors"] == 0
            assert row["ratio_in_flask"] > 0 and row["in_flask_over_oxigraph"] > 0
        else:
            assert "in_flask" not in row
    # what the check phase sent is every request a case rotates over
    assert all(row["ours"]["distinct"] == row["checked"] for row in rows.values())
    assert rows["entity page"]["ours"]["distinct"] > len(FIXTURE_PRACTICES)
    assert figures["pss_mib"]["ours"] > 0 and figures["pss_mib"]["oxigraph"] > 0
    first = figures["first_answer"]
    assert first["home"]["ok"] and first["/practices"]["ok"]
    assert first["/practices"]["total_s"] >= first["/practices"]["up_s"] > 0
    assert "oxigraph (ASK)" in first and "hello" in first
    assert "÷ oxigraph" in run.stdout and "first answer after a start" in run.stdout
