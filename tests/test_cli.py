"""The command line: help everywhere, exit codes, validation of records and RDF files."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from icc_graph.cli import main

COMMANDS = [[], ["build"], ["validate"], ["import"], ["import", "catalogue"],
            ["import", "links"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_help_on_every_command(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_installed_command_runs():
    out = subprocess.run([sys.executable, "-m", "icc_graph", "--version"], capture_output=True,
                         text=True, check=True)
    assert "version" in out.stdout


def test_validate_the_release_dump(release):
    result = CliRunner().invoke(main, ["validate", str(release.path / "icc-graph.nt.gz")])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_validate_a_bad_turtle_file(tmp_path, ontology):
    bad = tmp_path / "bad.ttl"
    bad.write_text("""
@prefix icc: <https://w3id.org/icc-graph/def/icc#> .
<https://w3id.org/icc-graph/id/practice/x> a icc:GoodPractice ; icc:slug "x" .
""", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "needs a title" in result.output and "practice/x" in result.output


def test_validate_a_record_file(small_data, tmp_path):
    seed = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"
    rec = small_data / "practices" / f"{seed}.yaml"
    result = CliRunner().invoke(main, ["validate", str(rec), "--data", str(small_data)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(rec.read_text(encoding="utf-8").replace("international-outlook", "cooking"),
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad), "--data", str(small_data)])
    assert result.exit_code == 1
    assert "unknown topic 'cooking'" in result.output


def test_validate_an_unparseable_file(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text("<a> <b> .", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "cannot parse as turtle" in result.output


@pytest.mark.parametrize("args", [["validate", "nope.ttl"], ["validate", "x.docx"],
                                  ["build", "--base-iri", "ftp://x/"], ["frobnicate"]])
def test_usage_errors_exit_2(args, tmp_path):
    if args[-1] == "x.docx":
        (tmp_path / "x.docx").write_text("x")
        args = ["validate", str(tmp_path / "x.docx")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output


def test_validate_a_shared_record_file(small_data):
    result = CliRunner().invoke(main, ["validate", str(small_data / "places.yaml")])
    assert result.exit_code == 0, result.output
    places = small_data / "places.yaml"
    places.write_text(places.read_text(encoding="utf-8").replace("country: pl", "country: zz", 1),
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(places)])
    assert result.exit_code == 1
    assert "places.yaml" in result.output and "unknown country 'zz'" in result.output
