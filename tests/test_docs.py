"""The README and docs/ tell the truth: commands, options, settings, example queries, counts."""

from __future__ import annotations

import re

import click
import pyoxigraph as ox
import pytest

from icc_graph.cli import main
from icc_graph.paths import ROOT
from server.settings import REGISTRY, defaults

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS_DOC = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_readme_opens_with_the_two_commands():
    first_two = [lang for lang, _ in re.findall(r"```(\w*)\n(.*?)```", README, re.S)][:2]
    assert first_two == ["bash", "bash"]
    run, test = blocks("bash")[:2]
    assert "icc-graph build" in run and "pip install" in run
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test.strip() in ci, ".ci/run must run the README's test command"


def _commands(group: click.Group, prefix: str = "icc-graph"):
    for name, cmd in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, full)
        else:
            yield full, cmd


@pytest.mark.parametrize(("name", "cmd"), list(_commands(main)), ids=lambda x: str(x))
def test_every_command_and_option_is_documented(name, cmd):
    assert f"`{name}" in COMMANDS_DOC or f"## `{name}" in COMMANDS_DOC, name
    assert f"`{name}" in README, name
    for param in cmd.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in COMMANDS_DOC or opt in README, f"{name} {opt}"


SERVER_DOC = (ROOT / "docs" / "server.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    code = "".join(p.read_text(encoding="utf-8")
                   for folder in ("icc_graph", "server") for p in (ROOT / folder).glob("*.py"))
    settings = set(re.findall(r'"(ICC_[A-Z_]+)"', code))
    assert settings
    for s in settings:
        assert f"`{s}`" in COMMANDS_DOC or f"`{s}`" in SERVER_DOC, s


def _shown(value: object) -> str:
    if value is None or value == ():
        return "(none)"
    if isinstance(value, tuple):
        return "`" + " ".join(value) + "`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


@pytest.mark.parametrize("setting", REGISTRY, ids=lambda s: s.env)
def test_every_server_setting_is_in_the_table_of_server_md(setting):
    """Each row: variable, type and default as the registry has them."""
    row = next((line for line in SERVER_DOC.splitlines()
                if line.startswith(f"| `{setting.env}` |")), None)
    assert row, f"docs/server.md has no row for {setting.env}"
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == setting.kind, setting.env
    assert cells[2] == _shown(defaults()[setting.name]), setting.env
    assert len(cells[3]) > 10, setting.env


@pytest.mark.parametrize("query", blocks("sparql"), ids=lambda q: q.splitlines()[1][:40])
def test_readme_queries_answer_on_the_release(release, query):
    store = ox.Store.read_only(str(release.path / "store"))
    rows = list(store.query(query, use_default_graph_as_union=True))
    assert rows, "every example query returns something"


def test_readme_counts_match_the_release(release):
    store = ox.Store.read_only(str(release.path / "store"))

    def count(where: str) -> int:
        q = ("PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
             "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
             f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")
        return int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)

    claims = {
        "good practices": "?x a icc:GoodPractice",
        "places": "?x a icc:Place FILTER NOT EXISTS { ?x a icc:Country }",
        "organisations": "?x a icc:Organisation",
        "projects": "?x a icc:Project",
        "funding programmes": "?x a icc:FundingProgramme",
        "topics": "?x a icc:Topic",
        "reviewed links to Wikidata": "?x owl:sameAs ?y",
    }
    for words, where in claims.items():
        match = re.search(rf"\*\*(\d+) {words}\*\*", README)
        assert match, words
        assert int(match.group(1)) == count(where), words
