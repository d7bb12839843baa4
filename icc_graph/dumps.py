"""The release's dump files, written in chunks of named graphs, so that a rebuild copies the
chunks whose content did not change from the previous release's files instead of writing them
again.

The quads come sorted by graph; a chunk is a run of whole graphs: every graph that is not a
practice's starts one, and so does a practice graph whose name hashes to 0 modulo ``GROUP`` (so
adding or removing a practice moves no other chunk's bounds). Each file is its chunks in order:
Turtle and TriG with the prefixes once at the top, the gzipped files one gzip member per chunk (a
file of several members is one valid gzip stream: ``gzip -d``, Python's ``gzip`` and every
client read it whole), the JSON-LD document (compacted with the one context) a node object per
subject of each chunk (a subject with triples in several chunks has a node in each: JSON-LD
merges node objects of one ``@id``). A triple dump holds each triple once, in the chunk of the
first graph that has it. A chunk's bytes depend on its quads only, so a build from scratch and a
rebuild write the same files.

Where each chunk lies in the current release's files is kept in ``--out/.cache/dumps.json``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cache_files
from .formats import BY_NAME
from .model import Lit, Quad
from .store import jsonld
from .store import oxigraph as store
from .store.protocol import Triple

CHUNKS_FILE = "dumps.json"
JSONLD_END = b"\n ]\n}\n"
NODE_SEPARATOR = b",\n  "
GROUP = 32  # practice graphs per chunk, on average
WINDOW = 16  # chunks made at once (bounds the memory held by chunks not yet written)
LEVEL = 6  # gzip compression level


@dataclass(frozen=True)
class Chunk:
    start: int  # quads[start:end]
    end: int
    quads_digest: str  # what a quad dump's chunk holds
    triples_digest: str  # what a triple dump's chunk holds (the triples first seen here)


@dataclass(frozen=True)
class Layout:
    """The quads cut into chunks, and which quads hold a triple seen first."""

    chunks: list[Chunk]
    first: list[bool]  # quads[i] holds a triple no earlier quad holds
    triples: int


def layout(quads: list[Quad], graph_digests: dict[str, str], base: str) -> Layout:
    practice = f"{base}graph/practice/"
    seen: set[tuple[object, object, object]] = set()
    first = [False] * len(quads)
    for i, q in enumerate(quads):
        key = q[:3]
        if key not in seen:
            seen.add(key)
            first[i] = True
    triples = len(seen)
    del seen
    spans: list[tuple[str, int, int]] = []  # (graph, start, end)
    start = 0
    for i in range(1, len(quads) + 1):
        if i == len(quads) or quads[i][3] != quads[start][3]:
            spans.append((quads[start][3], start, i))
            start = i

    def chunk(group: list[tuple[str, int, int]]) -> Chunk:
        a, b = group[0][1], group[-1][2]
        h = hashlib.sha256("\n".join(graph_digests[g] for g, _, _ in group).encode())
        quads_digest = h.hexdigest()
        h.update(bytes(not first[i] for i in range(a, b)))  # which triples were seen before
        return Chunk(a, b, quads_digest, h.hexdigest())

    chunks: list[Chunk] = []
    group: list[tuple[str, int, int]] = []
    for span in spans:
        g = span[0]
        if group and (not g.startswith(practice) or not group[-1][0].startswith(practice)
                      or _bound(g)):
            chunks.append(chunk(group))
            group = []
        group.append(span)
    if group:
        chunks.append(chunk(group))
    return Layout(chunks, first, triples)


def _bound(graph: str) -> bool:
    return int.from_bytes(hashlib.blake2b(graph.encode(), digest_size=4).digest(), "big") \
        % GROUP == 0


def _strip_prefixes(data: bytes) -> tuple[bytes, bytes]:
    """A Turtle or TriG text as its ``@prefix`` lines and the rest."""
    at = 0
    while data.startswith(b"@prefix ", at):
        at = data.index(b"\n", at) + 1
    return data[:at], data[at:]


class _Previous:
    """The chunks of the current release's dump files, by digest."""

    def __init__(self, folder: Path | None, kept: dict[str, dict[str, list[int]]]):
        self.folder, self.kept = folder, kept
        self.files: dict[str, int] = {}

    def get(self, name: str, digest: str) -> bytes | None:
        where = self.kept.get(name, {}).get(digest)
        if where is None or self.folder is None:
            return None
        if name not in self.files:
            try:
                self.files[name] = os.open(self.folder / name, os.O_RDONLY)
            except OSError:
                self.kept.pop(name, None)
                return None
        data = os.pread(self.files[name], where[1], where[0])
        return data if len(data) == where[1] else None

    def close(self) -> None:
        for fd in self.files.values():
            os.close(fd)


def write(quads: list[Quad], lay: Layout, tmp: Path, names: dict[tuple[str, bool], str],
          previous: tuple[Path, dict[str, dict[str, list[int]]]] | None,
          ) -> dict[str, dict[str, list[int]]]:
    """Write the dumps of ``names`` ((format name, gzipped?) -> file name) to ``tmp``; returns
    where each chunk lies in each file (what the next build reuses)."""
    prior = _Previous(*previous) if previous else _Previous(None, {})
    outs = {name: (tmp / name).open("wb") for name in names.values()}
    where: dict[str, dict[str, list[int]]] = {name: {} for name in names.values()}
    offsets = dict.fromkeys(names.values(), 0)
    nodes_seen = dict.fromkeys(names.values(), False)  # JSON-LD: a node written already
    try:
        for (fmt_name, gz), name in names.items():  # the prefixes, once at the top
            header = _header(quads, fmt_name)
            if header:
                data = gzip.compress(header, LEVEL, mtime=0) if gz else header
                outs[name].write(data)
                offsets[name] = len(data)
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            for window in _windows(lay.chunks):
                made = list(pool.map(lambda c: _chunk(quads, lay, c, names, prior), window))
                for chunk, parts in zip(window, made, strict=True):
                    for key, data in parts.items():
                        name = names[key]
                        if key[0] == "jsonld" and data:  # node objects, separated by commas
                            if nodes_seen[name]:
                                outs[name].write(NODE_SEPARATOR)
                                offsets[name] += len(NODE_SEPARATOR)
                            nodes_seen[name] = True
                        outs[name].write(data)
                        where[name][_digest_for(key[0], chunk)] = [offsets[name], len(data)]
                        offsets[name] += len(data)
        for (fmt_name, _), name in names.items():
            if fmt_name == "jsonld":
                outs[name].write(JSONLD_END)
    finally:
        for f in outs.values():
            f.close()
        prior.close()
    return where


def _header(quads: list[Quad], fmt_name: str) -> bytes:
    """The ``@prefix`` lines pyoxigraph's writer puts at the top of a Turtle or TriG text; the
    JSON-LD document's start, with the one context."""
    if fmt_name == "jsonld":
        return (f'{{"@context": {json.dumps(jsonld.CONTEXT, ensure_ascii=False)},\n "@graph": ['
                "\n  ").encode()
    fmt = BY_NAME[fmt_name]
    if not fmt.prefixes or not quads:
        return b""
    one: list[Any] = list(store.ox_quads(quads[:1]))
    return _strip_prefixes(store.serialize_ox(one if fmt.dataset else [one[0].triple], fmt))[0]


def _windows(chunks: list[Chunk]) -> Iterator[list[Chunk]]:
    for i in range(0, len(chunks), WINDOW):
        yield chunks[i:i + WINDOW]


def _digest_for(fmt_name: str, chunk: Chunk) -> str:
    return chunk.quads_digest if BY_NAME[fmt_name].dataset else chunk.triples_digest


def _chunk(quads: list[Quad], lay: Layout, chunk: Chunk, names: dict[tuple[str, bool], str],
           prior: _Previous) -> dict[tuple[str, bool], bytes]:
    """The bytes of one chunk in each dump, reused where the previous release has them."""
    out: dict[tuple[str, bool], bytes] = {}
    plain: dict[str, bytes] = {}
    ox: list[Any] | None = None

    def serialized(fmt_name: str) -> bytes:
        nonlocal ox
        if fmt_name == "jsonld" and fmt_name not in plain:  # compacted: our own writer
            plain[fmt_name] = ",\n  ".join(
                json.dumps(node, ensure_ascii=False) for node in jsonld.nodes(
                    _plain_triple(q) for q, new in zip(quads[chunk.start:chunk.end],
                                                       lay.first[chunk.start:chunk.end],
                                                       strict=True) if new)).encode()
        if fmt_name not in plain:
            fmt = BY_NAME[fmt_name]
            if ox is None:
                ox = list(store.ox_quads(quads[chunk.start:chunk.end]))
            items = ox if fmt.dataset else [q.triple for q, new in
                                            zip(ox, lay.first[chunk.start:chunk.end],
                                                strict=True) if new]
            # serialize_ox writes quads too, for a dataset format
            data = store.serialize_ox(items, fmt) if items else b""
            plain[fmt_name] = _strip_prefixes(data)[1] if fmt.prefixes else data
        return plain[fmt_name]

    for key, name in names.items():
        fmt_name, gz = key
        found = prior.get(name, _digest_for(fmt_name, chunk))
        if found is None:
            found = serialized(fmt_name)
            if gz:
                found = gzip.compress(found, LEVEL, mtime=0)
        out[key] = found
    return out


def _plain_triple(quad: Quad) -> Triple:
    """A model quad's triple in the store package's plain terms (what the JSON-LD writer reads)."""
    s, p, o, _ = quad
    if isinstance(o, Lit):
        return ("uri", s), ("uri", p), ("literal", o.value, o.datatype, o.lang)
    return ("uri", s), ("uri", p), ("uri", o)


def keep(cache_dir: Path, version: str, where: dict[str, dict[str, list[int]]]) -> None:
    """Say where the chunks of release ``version`` lie (errors are not fatal)."""
    cache_files.keep(cache_dir / CHUNKS_FILE, lambda f: f.write(
        json.dumps({"version": version, "files": where}).encode()), parents=False)


def kept(cache_dir: Path, folder: Path) -> tuple[Path, dict[str, dict[str, list[int]]]] | None:
    """The chunks of the release in ``folder``, if the cache describes that release."""
    try:
        data = json.loads((cache_dir / CHUNKS_FILE).read_text(encoding="utf-8"))
        if data["version"] != folder.name:
            return None
        return folder, dict(data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

