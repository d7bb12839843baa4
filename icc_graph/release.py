"""Writing and opening releases: dumps, ontology, shapes, VoID/DCAT, checksums and an on-disk
store, in one folder per version.

``--out`` holds ``versions/<version>/`` folders and a ``current`` link to one of them. A build
writes a new folder under ``versions/`` (``.building-PID-...`` until it is complete), renames it
to its version, then switches ``current`` by renaming a new link over the old one (atomic), and
keeps the last three versions. A reader resolves ``current`` once (``open_release``) and reads
every file of that one version, so a rebuild never changes a release under it.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from rdflib import Graph, URIRef

from . import dumps as dump_files
from .cache_files import keep
from .describe import describe
from .errors import UsageError, WriteError
from .forking import Forked
from .formats import BY_NAME
from .model import Iris, Quad
from .namespaces import ONTOLOGY_IRI, PREFIXES
from .paths import ONTOLOGY, SHAPES
from .processes import alive
from .readmodel import READ_MODEL_FILE, Source
from .readmodel import write as write_read_model
from .search_index import INDEX_FILE, ROWS_FILE, write_index
from .store import oxigraph as store

DUMP_STEM = "icc-graph"
MARKER = "SHA256SUMS"
STORE_DIR = "store"
VERSIONS = "versions"
CURRENT = "current"
KEEP = 3  # versions kept under --out, the current one included
BUILDING = ".building-"
CACHE_DIR = ".cache"  # what a rebuild reuses (validation verdicts); not part of any release
# (file name, format name, gzip?)
DUMPS = (
    (f"{DUMP_STEM}.ttl", "turtle", False),
    (f"{DUMP_STEM}.ttl.gz", "turtle", True),
    (f"{DUMP_STEM}.nt.gz", "ntriples", True),
    (f"{DUMP_STEM}.jsonld", "jsonld", False),
    (f"{DUMP_STEM}.trig", "trig", False),
    (f"{DUMP_STEM}.nq.gz", "nquads", True),
)
REQUIRED = ("release.json", MARKER, "ontology.ttl", "shapes.ttl", "void.ttl", STORE_DIR)


class ReleaseError(UsageError):
    """A release that cannot be read: missing, broken or half-written."""


@dataclass(frozen=True)
class Release:
    path: Path  # the version folder
    version: str
    triples: int
    files: dict[str, str]  # name -> sha256


def open_release(path: Path) -> Path:
    """The version folder to read for ``path``: the folder ``current`` points to when ``path`` is
    a ``--out`` folder, or ``path`` itself when it is a version folder. Resolved once: the
    caller keeps the returned path. ``ReleaseError`` names what is missing and the command."""
    path = Path(path)
    link = path / CURRENT
    if link.is_symlink() or link.exists():
        folder = link.resolve()
        if not folder.is_dir():
            raise ReleaseError(f"{link} points to {folder}, which does not exist: run "
                               f"`icc-graph build --out {path}` to write a release")
    elif (path / "release.json").exists() or (path / MARKER).exists():
        folder = path
    elif not path.exists():
        raise ReleaseError(f"there is no release at {path}: run `icc-graph build --out {path}`")
    else:
        raise ReleaseError(f"{path} holds no release (no {CURRENT} link, no release.json): run "
                           f"`icc-graph build --out {path}`")
    root = folder.parent.parent if folder.parent.name == VERSIONS else folder
    again = f"run `icc-graph build --out {root}` to write a complete one"
    missing = [name for name in REQUIRED if not (folder / name).exists()]
    if not missing:
        try:
            meta = json.loads((folder / "release.json").read_text(encoding="utf-8"))
            sums = read_sums(folder)
        except (ValueError, OSError) as exc:
            raise ReleaseError(f"the release {folder} is broken ({exc}); {again}") from None
        if not isinstance(meta, dict) or not isinstance(meta.get("version"), str):
            raise ReleaseError(f"the release {folder} is broken (release.json has no version); "
                               f"{again}")
        missing = [name for name in sums if not (folder / name).is_file()]
    if missing:
        raise ReleaseError(f"the release {folder} is incomplete: {', '.join(missing)} "
                           f"missing; {again}")
    return folder


def store_version_query(base: str) -> str:
    """The SPARQL query whose ``?version`` values are the release versions a store holds (from
    the VoID graph a release loads into it)."""
    return (f"SELECT DISTINCT ?version WHERE {{ GRAPH <{base}graph/void> {{ <{base}dataset> "
            "<http://www.w3.org/2002/07/owl#versionInfo> ?version } }")


def check_store_version(folder: Path, versions: list[str], endpoint: str) -> None:
    """``ReleaseError`` unless the store at ``endpoint`` holds exactly the version of the release
    folder (``versions``: the answers of ``store_version_query``), so that pages, dumps and
    SPARQL answers come from one release."""
    meta = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    wanted = meta["version"]
    if set(versions) == {wanted}:
        return
    held = ", ".join(sorted(versions)) or "no release"
    raise ReleaseError(f"the store at {endpoint} holds {held}, not release {wanted} of {folder}: "
                       f"run `icc-graph publish --endpoint STORE_URL --release {folder}` "
                       "(its Graph Store URL), or serve the release the store holds")


def check_output(out: Path) -> None:
    """Refuse, before any work, an output folder that holds something other than releases."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if not out.is_dir() or not any(p.name != CACHE_DIR for p in out.iterdir()):
        return
    if (out / MARKER).exists() and not (out / VERSIONS).is_dir():
        raise UsageError(f"--out {out} holds a release in the old flat layout: move it away or "
                         "delete it, then build again (releases now go to versions/ with a "
                         f"{CURRENT} link)")
    if not (out / VERSIONS).is_dir():
        raise UsageError(
            f"--out {out} is not empty and holds no release ({VERSIONS}/ is missing): "
            "choose an empty or new folder, so that nothing of yours is replaced")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_release(quads: list[Quad], iris: Iris, out: Path, example: list[URIRef],
                  progress: Callable[[str], None] = lambda _: None,
                  queries: list[Path] | None = None,
                  lap: Callable[[str], object] = lambda _: None,
                  reuse: bool = True,
                  before_publish: Callable[[], None] | None = None) -> Release:
    """Write a new version under ``out/versions/``, point ``out/current`` at it, keep the last
    three. On any error or signal the temporary folder is removed and ``current`` is unchanged;
    a full disk or an unwritable folder is a ``WriteError``. ``reuse``: make the store from the
    current release's (see ``_write``) and keep in ``out/.cache`` what the new one holds.
    ``before_publish``: called once the version is written, before it is published; what it
    raises stops the build with nothing published (a rebuild's validation ends there)."""
    check_output(out)
    versions = out / VERSIONS
    tmp = versions / f"{BUILDING}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        try:
            versions.mkdir(parents=True, exist_ok=True)
            tmp.mkdir()
            chunks = dump_files.kept(out / CACHE_DIR, (out / CURRENT).resolve()) if reuse else None
            release, graphs, where = _write(quads, iris, tmp, example, progress, lap,
                                            _previous_store(out) if reuse else None, chunks,
                                            out / CACHE_DIR / ROWS_FILE if reuse else None)
            if queries:  # the example queries of the query page, not part of the checksums
                (tmp / "queries").mkdir()
                for q in queries:
                    shutil.copyfile(q, tmp / "queries" / q.name)
            if before_publish is not None:
                before_publish()
            final = versions / release.version
            if final.is_dir():  # the same content is already there: keep the folder served
                shutil.rmtree(tmp)
            else:
                tmp.rename(final)
            _point(out, release.version)
            if reuse:
                _keep_store_graphs(out, release.version, graphs)
                dump_files.keep(out / CACHE_DIR, release.version, where)
        except OSError as exc:
            raise WriteError(_describe(exc, out)) from None
        except sqlite3.OperationalError as exc:  # the search index and the read model
            raise WriteError(_describe(_as_os_error(exc), out)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(out)
    return Release(final, release.version, release.triples, release.files)


def _describe(exc: OSError, out: Path) -> str:
    code = exc.errno
    if code is None:  # pyoxigraph's errors carry the number in the text: "... (os error 28)"
        found = re.search(r"os error (\d+)", str(exc))
        code = int(found.group(1)) if found else None
    what = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EFBIG: "a file grew past the size allowed", errno.EACCES: "permission denied",
            errno.EPERM: "the operation is not permitted", errno.EROFS: "the file system is "
            "read-only"}.get(code or 0, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename else ""
    return (f"cannot write the release to {out}: {what}{where}; nothing was changed: free "
            "space or choose a writable --out, then build again")


def _as_os_error(exc: sqlite3.OperationalError) -> OSError:
    """SQLite's words for a full disk or a file it may not write, as the system's error."""
    text = str(exc).lower()
    code = (errno.ENOSPC if "full" in text else errno.EROFS if "readonly" in text
            else errno.EACCES if "permission" in text or "unable to open" in text else None)
    return OSError(code, str(exc)) if code else OSError(str(exc))


def _point(out: Path, version: str) -> None:
    """Switch ``out/current`` to the version: a new relative link renamed over the old one."""
    tmp_link = out / f".{CURRENT}-{os.getpid()}-{secrets.token_hex(4)}"
    os.symlink(f"{VERSIONS}/{version}", tmp_link)
    try:
        os.replace(tmp_link, out / CURRENT)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise


def _prune(out: Path) -> None:
    """Keep the current version and the newest others, KEEP in all; remove the folders of
    builds whose process is gone."""
    versions = out / VERSIONS
    current = (out / CURRENT).resolve()
    done = [p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")]
    done.sort(key=lambda p: (p.resolve() == current, _built(p)), reverse=True)
    for old in done[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in versions.glob(f"{BUILDING}*"):
        pid = stale.name[len(BUILDING):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _built(folder: Path) -> float:
    try:
        return (folder / "release.json").stat().st_mtime
    except OSError:
        return 0.0


    return True


def _write(quads: list[Quad], iris: Iris, tmp: Path, example: list[URIRef],
           progress: Callable[[str], None], lap: Callable[[str], object],
           previous: tuple[Path, dict[str, str]] | None = None,
           chunks: tuple[Path, dict[str, dict[str, list[int]]]] | None = None,
           rows: Path | None = None,
           ) -> tuple[Release, dict[str, str], dict[str, dict[str, list[int]]]]:
    # the search index is written by a forked process meanwhile (the dumps use one core),
    # from the rows kept in ``rows`` for the entities whose triples did not change
    index = Forked(write_index, tmp / INDEX_FILE, ((s, p, o) for s, p, o, _ in quads), iris.base,
                   "", rows)
    try:
        graphs = _graph_digests(quads)
        layout = dump_files.layout(quads, graphs, iris.base)
        where = dump_files.write(quads, layout, tmp,
                                 {(fmt, gz): name for name, fmt, gz in DUMPS}, chunks)
        shutil.copyfile(ONTOLOGY, tmp / "ontology.ttl")
        shutil.copyfile(SHAPES, tmp / "shapes.ttl")
        progress(f"dumps written ({layout.triples} triples)")
        lap("dumps")
        entities = index.result()
    finally:
        index.close()
    progress(f"search index written ({entities} entities)")
    lap("search index")  # what was left of it once the dumps were written

    files = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
    # the version names the content: dumps, ontology and shapes together
    version = hashlib.sha256("".join(f"{sha}  {name}\n" for name, sha in sorted(files.items()))
                             .encode()).hexdigest()[:16]
    dumps = [(name, fmt, (tmp / name).stat().st_size, files[name]) for name, fmt, _ in DUMPS]
    void = describe(quads, iris, dumps, version, example, layout.first)
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
        "triples": layout.triples,
        "quads": len(quads),
        "dumps": [name for name, _, _ in DUMPS],
        "files": files,
    }
    (tmp / "release.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    files["release.json"] = _sha256(tmp / "release.json")
    (tmp / MARKER).write_text("".join(f"{sha}  {name}\n" for name, sha in sorted(files.items())),
                              encoding="utf-8")

    lap("description")
    ontology_quads = store.to_ox_quads(
        (s, p, o, URIRef(ONTOLOGY_IRI)) for s, p, o in Graph().parse(ONTOLOGY))
    void_graph = store.to_ox_quads((s, p, o, iris.graph("void")) for s, p, o in void)
    void_name = str(iris.graph("void"))
    graphs[ONTOLOGY_IRI] = files["ontology.ttl"]
    if previous is not None and previous[1].get(ONTOLOGY_IRI) == graphs[ONTOLOGY_IRI]:
        # a rebuild: only the named graphs whose content changed are written again
        held = previous[1]
        replaced = {g for g, digest in graphs.items() if held.get(g) != digest}
        replaced |= (set(held) - set(graphs)) | {void_name}
        store.update_store(tmp / STORE_DIR, previous[0], sorted(replaced), [
            *store.ox_quads(m for m in quads if m[3] in replaced), *void_graph])
        progress(f"store written from the previous one ({len(replaced)} graphs replaced)")
        changed: frozenset[str] | None = frozenset(replaced)
    else:
        changed = None
        store.write_store(tmp / STORE_DIR,
                          itertools.chain(store.ox_quads(quads), ontology_quads, void_graph))
        progress("store written (the dumps, the vocabulary and the dataset description)")
    lap("store")
    model = tmp / READ_MODEL_FILE  # derived from the quads: not part of the version
    before = previous[0].parent / READ_MODEL_FILE if previous is not None else None
    write_read_model(model, Source(quads, iris.base, tmp / STORE_DIR,
                                   before if before is not None and before.is_file() else None,
                                   previous[0] if previous is not None else None, changed))
    progress("read model written (what the server's pages and documents read)")
    lap("read model")
    return Release(tmp, version, layout.triples, files), graphs, where


STORE_GRAPHS = "store-graphs.json"  # in CACHE_DIR: what the current release's store holds


def _graph_digests(quads: list[Quad]) -> dict[str, str]:
    """The SHA-256 of each named graph's quads (they come sorted by graph)."""
    return {graph: _digest(list(part)) for graph, part in itertools.groupby(quads, itemgetter(3))}


def _digest(quads: list[Quad]) -> str:
    # each quad a line of its terms between separators that no IRI holds; when a literal
    # holds one (the counts tell), its repr, so that two contents never share a digest
    lines = [f"{s}\x1f{p}\x1f{o}" if o.__class__ is str
             else f"{s}\x1f{p}\x1f{o[0]}\x1d{o[1] or ''}\x1d{o[2] or ''}"
             for s, p, o, _ in quads]
    text = "\x1e".join(lines)
    literals = len(quads) - list(map(type, map(itemgetter(2), quads))).count(str)
    if text.count("\x1f") != 2 * len(lines) or text.count("\x1d") != 2 * literals \
            or text.count("\x1e") != len(lines) - 1:
        text = repr(quads)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _previous_store(out: Path) -> tuple[Path, dict[str, str]] | None:
    """The current release's store and the digests of its named graphs, when the cache says
    what it holds; None means the store is written from scratch."""
    try:
        kept = json.loads((out / CACHE_DIR / STORE_GRAPHS).read_text(encoding="utf-8"))
        folder = (out / CURRENT).resolve()
        if kept["version"] != folder.name or not (folder / STORE_DIR).is_dir():
            return None
        return folder / STORE_DIR, dict(kept["graphs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep_store_graphs(out: Path, version: str, graphs: dict[str, str]) -> None:
    # without it the next build writes its store from scratch
    keep(out / CACHE_DIR / STORE_GRAPHS, lambda f: f.write(
        json.dumps({"version": version, "graphs": graphs}, sort_keys=True).encode()),
        parents=False)


def read_sums(release: Path) -> dict[str, str]:
    sums = {}
    for line in (release / MARKER).read_text(encoding="utf-8").splitlines():
        sha, name = line.split("  ", 1)
        sums[name] = sha
    return sums
