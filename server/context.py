"""What the app shares between requests: settings, the backend, and facts about the release."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from icc_graph.readmodel import ReadModel
from icc_graph.release import read_sums
from icc_graph.store import Backend, Triple, read_file

from .cache import Cache
from .limits import ClientLimits
from .settings import Settings


@dataclass(frozen=True)
class ReleaseInfo:
    path: Path
    version: str = "unreleased"
    modified: dt.datetime = field(default_factory=lambda: dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    sums: dict[str, str] = field(default_factory=dict)
    vocabulary: tuple[Triple, ...] = ()
    shapes: tuple[Triple, ...] = ()
    void: tuple[Triple, ...] = ()

    @classmethod
    def read(cls, path: Path) -> ReleaseInfo:
        meta_file = path / "release.json"
        if not meta_file.exists():
            from icc_graph.paths import ONTOLOGY, SHAPES

            return cls(path, vocabulary=_parse(ONTOLOGY), shapes=_parse(SHAPES))
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        sums = read_sums(path)
        modified = dt.datetime.fromtimestamp(int(meta_file.stat().st_mtime), tz=dt.UTC)
        return cls(path, meta["version"], modified, sums, _parse(path / "ontology.ttl"),
                   _parse(path / "shapes.ttl"), _parse(path / "void.ttl"))


def _parse(path: Path) -> tuple[Triple, ...]:
    return tuple(read_file(path))


@dataclass(frozen=True)
class Context:
    settings: Settings
    backend: Backend
    release: ReleaseInfo
    cache: Cache
    limits: ClientLimits
    read: ReadModel | None = None  # the release's read model (None: a folder without one)
    memo: dict[str, object] = field(default_factory=dict)


def ctx() -> Context:
    context: Context = current_app.extensions["icc"]
    return context
