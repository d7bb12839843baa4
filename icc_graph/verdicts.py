"""Incremental SHACL validation: the graph cut into units (a practice record, or a bucket of the
things of one shared file), each validated on its own with the facts it refers to, its verdict
kept under the hash of what it was validated on, so that a rebuild validates only what changed.

A unit holds every triple of its subjects (wherever the model put them) and the ``rdf:type``
triples of the things those triples point to: that is all a shape looks at, except the rules that
span records (two things with one slug), which get one pass over the slugs of the whole graph.
Both verdicts together are the verdict of the whole graph (tests/test_validation_incremental.py).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef

from .cache_files import keep
from .forking import held_signals, quiet_worker
from .model import Lit, Quad, Term, rdflib_term, shape_quads
from .validate import Violation, run_shacl, run_shacl_on, split_shapes

CACHE_FILE = "validation.json"
BUCKETS = 64  # units per shared file: a changed place revalidates 1/64 of the places
BATCH_TRIPLES = 5_000  # the least triples per batch: a batch costs ~50 ms per node shape
BATCH_MOST = 50_000  # the most: pySHACL's time per triple grows with the graph it is given
PARALLEL_FROM = 40_000  # uncached triples from which the work is spread over the cores
PlainTriple = tuple[str, str, Term]

_shapes: Graph | None = None  # the per-unit shapes of a worker process


class Units:
    """The validation units of a graph, with the triples each is validated on."""

    def __init__(self, quads: Iterable[Quad], base: str):
        practice_graph = f"{base}graph/practice/"
        self.triples: dict[str, set[PlainTriple]] = defaultdict(set)
        self.types: dict[str, set[str]] = defaultdict(set)
        home: dict[str, str] = {}
        rdf_type = str(RDF.type)
        for s, p, o, g in shape_quads(quads):
            s_, p_, o_ = s, p, o
            self.triples[s_].add((s_, p_, o_))
            if p_ == rdf_type:
                self.types[s_].add(str(o))
            graph = str(g)
            if graph.startswith(practice_graph):
                home[s_] = graph
            else:
                home.setdefault(s_, graph)
        self.unit_of: dict[str, str] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        for subject, graph in home.items():
            if graph.startswith(practice_graph):
                unit = graph
            else:
                bucket = int(hashlib.blake2b(subject.encode(), digest_size=4).hexdigest(), 16)
                unit = f"{graph}#{bucket % BUCKETS}"
            self.unit_of[subject] = unit
            self.members[unit].append(subject)

    def unit_triples(self, unit: str) -> list[PlainTriple]:
        """The unit's triples and the types of what they point to, sorted."""
        out: set[PlainTriple] = set()
        rdf_type = str(RDF.type)
        for s in self.members[unit]:
            for t in self.triples[s]:
                out.add(t)
                o = t[2]
                if isinstance(o, str):
                    for cls in self.types.get(o, ()):
                        out.add((o, rdf_type, cls))
        return _sorted(out)

    def slug_triples(self) -> list[PlainTriple]:
        """What the rules that span records look at: every slug and every type."""
        slug, rdf_type = "https://w3id.org/icc-graph/def/icc#slug", str(RDF.type)
        holders: dict[Term, set[str]] = defaultdict(set)
        for s, ts in self.triples.items():
            for t in ts:
                if t[1] == slug:
                    holders[t[2]].add(s)
        # a slug held by one thing breaks no rule: only things sharing a slug can
        shared = {s for held in holders.values() if len(held) > 1 for s in held}
        return _sorted({t for s in shared for t in self.triples[s] if t[1] in (slug, rdf_type)})


def _sort_key(t: PlainTriple) -> tuple[str, str, str]:
    o = t[2]
    return (t[0], t[1], "\x00".join(x or "" for x in o) if isinstance(o, Lit) else o)


def _sorted(triples: set[PlainTriple]) -> list[PlainTriple]:
    try:
        return sorted(triples)  # fast, unless an IRI and a literal share subject and predicate
    except TypeError:
        return sorted(triples, key=_sort_key)


def _digest(salt: str, triples: list[PlainTriple]) -> str:
    return hashlib.sha256(f"{salt}\n{triples!r}".encode()).hexdigest()


def _graph(triples: Iterable[PlainTriple]) -> Graph:
    g = Graph()
    terms: dict[Term, URIRef | Literal] = {}

    def term(t: Term) -> URIRef | Literal:
        found = terms.get(t)
        if found is None:
            found = terms[t] = rdflib_term(t)
        return found

    g.addN((term(s), term(p), term(o), g) for s, p, o in triples)
    return g


def _init(shapes_text: str) -> None:
    global _shapes
    _shapes = Graph().parse(data=shapes_text, format="turtle")


def _init_worker(shapes_text: str) -> None:
    quiet_worker()
    _init(shapes_text)


def _check(job: tuple[list[PlainTriple], set[str]]) -> list[Violation]:
    assert _shapes is not None
    triples, focus = job
    return run_shacl_on(_graph(triples), _shapes, focus)


def _batches(units: list[str], sizes: dict[str, int], cores: int) -> Iterator[list[str]]:
    """The units in batches: two per core, for pySHACL's cost per call is paid per batch, but
    none much above BATCH_MOST triples (at 30 000 practices batches of 375 000 triples took
    17% longer than batches of 50 000; at 10 000 it made no difference)."""
    size = min(BATCH_MOST, max(BATCH_TRIPLES, -(-sum(sizes.values()) // (2 * cores))))
    batch: list[str] = []
    n = 0
    for unit in units:
        batch.append(unit)
        n += sizes[unit]
        if n >= size:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


class Cache:
    """Verdicts by content hash, in one JSON file of a folder (``--out/.cache``)."""

    def __init__(self, folder: Path | None):
        self.path = folder / CACHE_FILE if folder else None
        self.old: dict[str, list[dict[str, str | None]]] = {}
        if self.path and self.path.exists():
            try:
                self.old = json.loads(self.path.read_text(encoding="utf-8"))
            except (ValueError, OSError):
                self.old = {}  # a broken cache only costs a full validation
        self.new: dict[str, list[dict[str, str | None]]] = {}

    def get(self, key: str) -> list[Violation] | None:
        found = self.old.get(key)
        if found is None:
            return None
        self.new[key] = found
        return [Violation(**v) for v in found]  # type: ignore[arg-type]

    def put(self, key: str, violations: list[Violation]) -> None:
        self.new[key] = [asdict(v) for v in violations]

    def save(self) -> None:
        """Keep the verdicts of this build only (written atomically; errors are not fatal)."""
        if self.path is None:
            return
        keep(self.path, lambda f: f.write(json.dumps(self.new, sort_keys=True).encode()))


class TooMuchChanged(Exception):
    """More is to be validated than ``validate_incrementally`` was allowed to do alone."""


def validate_incrementally(quads: list[Quad], base: str, shapes: str, cache: Cache,
                           workers: int | None = None, alone: bool = False
                           ) -> tuple[list[Violation], int]:
    """Every violation of the graph, and how many units were validated (not found in the
    cache). ``shapes``: their Turtle. ``workers``: processes for the per-unit work (default:
    the cores, used from PARALLEL_FROM uncached triples on). ``alone``: in a process that may
    not start others; ``TooMuchChanged`` when PARALLEL_FROM uncached triples or more are to be
    checked (the caller validates them with the pool)."""
    per_unit, spanning = split_shapes(Graph().parse(data=shapes, format="turtle"))
    salt = f"pyshacl {version('pyshacl')}\n{hashlib.sha256(shapes.encode()).hexdigest()}"
    units = Units(quads, base)
    found: dict[str, list[Violation]] = {}
    todo: dict[str, tuple[str, list[PlainTriple]]] = {}
    for unit in sorted(units.members):
        triples = units.unit_triples(unit)
        key = _digest(salt, triples)
        kept = cache.get(key)
        if kept is None:
            todo[unit] = (key, triples)
        else:
            found[unit] = kept
    sizes = {u: len(t) for u, (_, t) in todo.items()}
    if alone and sum(sizes.values()) >= PARALLEL_FROM:
        raise TooMuchChanged(f"{len(todo)} units to validate")
    cores = 1 if alone else workers or min(2, os.cpu_count() or 1)
    batches = list(_batches(sorted(todo), sizes, cores))
    members = {u: set(units.members[u]) for u in todo}
    jobs = [([t for u in batch for t in todo[u][1]], {s for u in batch for s in members[u]})
            for batch in batches]
    shapes_text = per_unit.serialize(format="turtle")
    if cores > 1 and sum(sizes.values()) >= PARALLEL_FROM and len(jobs) > 1:
        import pyshacl  # noqa: F401 - once, before the workers are forked

        ctx = multiprocessing.get_context("fork")
        with held_signals():
            pool = ctx.Pool(cores, _init_worker, (shapes_text,))
        with pool:
            results = pool.map(_check, jobs, chunksize=1)
    else:
        _init(shapes_text)
        results = [_check(job) for job in jobs]
    for batch, result in zip(batches, results, strict=True):
        by_unit: dict[str, list[Violation]] = {u: [] for u in batch}
        for v in result:
            owner = units.unit_of.get(v.focus)
            if owner in by_unit and v.focus in members[owner]:
                by_unit[owner].append(v)
        for unit, vs in by_unit.items():
            cache.put(todo[unit][0], vs)
            found[unit] = vs
    # the rules that span records: one pass over every slug and type
    slug_triples = units.slug_triples()
    key = _digest(f"spanning\n{salt}", slug_triples)
    global_found = cache.get(key)
    if global_found is None:
        global_found = run_shacl(_graph(slug_triples), None, spanning)
        cache.put(key, global_found)
    every = {v for vs in found.values() for v in vs} | set(global_found)
    return sorted(every, key=lambda v: (v.focus, v.path or "", v.message, v.value or "")), \
        len(todo)


