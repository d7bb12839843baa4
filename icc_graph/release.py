"""Writing a release: dumps, ontology, shapes, VoID/DCAT, checksums and an on-disk store.

A release is built in a new folder beside the published one and switched in at the end, so a
failed build never leaves a half-written release behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from . import jsonld, store
from .describe import describe
from .errors import UsageError
from .formats import BY_NAME
from .model import Iris, Quad
from .namespaces import ONTOLOGY_IRI, PREFIXES
from .paths import ONTOLOGY, SHAPES

DUMP_STEM = "icc-graph"
MARKER = "SHA256SUMS"
STORE_DIR = "store"
# (file name, format name, gzip?)
DUMPS = (
    (f"{DUMP_STEM}.ttl", "turtle", False),
    (f"{DUMP_STEM}.ttl.gz", "turtle", True),
    (f"{DUMP_STEM}.nt.gz", "ntriples", True),
    (f"{DUMP_STEM}.jsonld", "jsonld", False),
    (f"{DUMP_STEM}.trig", "trig", False),
    (f"{DUMP_STEM}.nq.gz", "nquads", True),
)


@dataclass(frozen=True)
class Release:
    path: Path
    version: str
    triples: int
    files: dict[str, str]  # name -> sha256


def check_output(out: Path) -> None:
    """Refuse, before any work, an output folder that holds something other than a release."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(
            f"--out {out} is not empty and holds no release ({MARKER} is missing): "
            "choose an empty or new folder, so that nothing of yours is replaced")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _gzip(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
        shutil.copyfileobj(fin, gz, 1 << 20)


def write_release(quads: list[Quad], iris: Iris, out: Path, example: list[URIRef],
                  progress: Callable[[str], None] = lambda _: None,
                  queries: list[Path] | None = None) -> Release:
    check_output(out)
    out = out.resolve()
    tmp = out.with_name(f".{out.name}.building-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        release = _write(quads, iris, tmp, example, progress)
        if queries:  # the example queries of the query page, not part of the checksummed dumps
            (tmp / "queries").mkdir()
            for q in queries:
                shutil.copyfile(q, tmp / "queries" / q.name)
        _switch(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Release(out, release.version, release.triples, release.files)


def _switch(tmp: Path, out: Path) -> None:
    """Put the new release in place of the old one with two renames."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    if old.exists():
        shutil.rmtree(old)


def _write(quads: list[Quad], iris: Iris, tmp: Path, example: list[URIRef],
           progress: Callable[[str], None]) -> Release:
    ox_quads = list(store.to_ox_quads(quads))
    seen: set[tuple[object, object, object]] = set()
    triple_quads = []  # one quad per distinct triple, in the sorted order
    for q in ox_quads:
        key = (q.subject, q.predicate, q.object)
        if key not in seen:
            seen.add(key)
            triple_quads.append(q)
    plain: dict[str, Path] = {}
    for name, fmt_name, gz in DUMPS:
        fmt = BY_NAME[fmt_name]
        path = tmp / name
        if gz:
            src = plain.get(fmt_name)
            if src is None:
                src = tmp / f".{name.removesuffix('.gz')}"
                store.serialize(ox_quads if fmt.dataset else triple_quads, src, fmt, PREFIXES)
            _gzip(src, path)
        elif fmt_name == "jsonld":  # compacted with the one context: our own writer
            jsonld.write((q.triple for q in triple_quads), path)
            plain[fmt_name] = path
        else:
            store.serialize(ox_quads if fmt.dataset else triple_quads, path, fmt, PREFIXES)
            plain[fmt_name] = path
    for leftover in tmp.glob(".*"):
        leftover.unlink()
    shutil.copyfile(ONTOLOGY, tmp / "ontology.ttl")
    shutil.copyfile(SHAPES, tmp / "shapes.ttl")
    progress(f"dumps written ({len(triple_quads)} triples)")

    files = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
    version = files[f"{DUMP_STEM}.nq.gz"][:16]
    dumps = [(name, fmt, (tmp / name).stat().st_size, files[name]) for name, fmt, _ in DUMPS]
    void = describe(quads, iris, dumps, version, example)
    void_quads = sorted(store.to_ox_quads((s, p, o, None) for s, p, o in void),
                        key=lambda q: (str(q.subject), str(q.predicate), str(q.object)))
    store.serialize(void_quads, tmp / "void.ttl", BY_NAME["turtle"],
                    {**PREFIXES, "spdx": "http://spdx.org/rdf/terms#",
                     "foaf": "http://xmlns.com/foaf/0.1/", "dcatap": "http://data.europa.eu/r5r/",
                     "vcard": "http://www.w3.org/2006/vcard/ns#"})
    files["void.ttl"] = _sha256(tmp / "void.ttl")
    meta = {
        "version": version,
        "base_iri": iris.base,
        "triples": len(triple_quads),
        "quads": len(ox_quads),
        "dumps": [name for name, _, _ in DUMPS],
        "files": files,
    }
    (tmp / "release.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    files["release.json"] = _sha256(tmp / "release.json")
    (tmp / MARKER).write_text("".join(f"{sha}  {name}\n" for name, sha in sorted(files.items())),
                              encoding="utf-8")

    ontology_quads = store.to_ox_quads(
        (s, p, o, URIRef(ONTOLOGY_IRI)) for s, p, o in Graph().parse(ONTOLOGY))
    void_graph = store.to_ox_quads((s, p, o, iris.graph("void")) for s, p, o in void)
    store.write_store(tmp / STORE_DIR, [*ox_quads, *ontology_quads, *void_graph])
    progress("store written (the dumps, the vocabulary and the dataset description)")
    return Release(tmp, version, len(triple_quads), files)


def read_sums(release: Path) -> dict[str, str]:
    sums = {}
    for line in (release / MARKER).read_text(encoding="utf-8").splitlines():
        sha, name = line.split("  ", 1)
        sums[name] = sha
    return sums
