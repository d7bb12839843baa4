"""Shared fixtures: the real data is built once per test session; small data folders are made
per test from the real shared files plus the records a test writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from icc_graph.build import build
from icc_graph.namespaces import DEFAULT_BASE_IRI
from icc_graph.paths import ONTOLOGY, ROOT
from icc_graph.release import Release

DATA = ROOT / "data"
BASE = DEFAULT_BASE_IRI


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The release of the real, committed data (built once)."""
    return build(DATA, tmp_path_factory.mktemp("release") / "dist", BASE)


@pytest.fixture(scope="session")
def dump(release: Release) -> Graph:
    return Graph().parse(release.path / "icc-graph.ttl", format="turtle")


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """A data folder with the real shared records and only the seed practice."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("topics.yaml", "countries.yaml", "programmes.yaml", "grants.yaml"):
        shutil.copy(DATA / name, data / name)
    # shared records that the seed needs: the reviewed ones (imported ones belong to practices)
    import yaml

    for name in ("places.yaml", "organisations.yaml", "projects.yaml"):
        items = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        reviewed = [r for r in items if r["status"] == "reviewed"]
        (data / name).write_text(yaml.safe_dump(reviewed, allow_unicode=True, sort_keys=False),
                                 encoding="utf-8")
    (data / "practices").mkdir()
    seed = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge.yaml"
    shutil.copy(DATA / "practices" / seed, data / "practices" / seed)
    return data
