"""The pipeline: data folder → records → quads → SHACL validation → release."""

from __future__ import annotations

import contextlib
import gc
import gzip
import json
import os
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph

from . import yamlio
from .coordinates import GEONAMES_FILE, read_geolinks
from .errors import DataError, Problem, UsageError
from .forking import Forked
from .formats import for_path
from .links import FACTS_FILE, LINKS_FILE, read_links
from .loader import SHARED_FILES, read_records
from .model import Iris, Quad, as_graph, build_quads
from .paths import ONTOLOGY
from .record_cache import RecordCache
from .records import Records, Where
from .release import CACHE_DIR, Release, check_output, write_release
from .validate import Violation, as_problems, load_shapes, run_shacl, shapes_text
from .verdicts import Cache, TooMuchChanged, validate_incrementally

Progress = Callable[[str], None]
NICE = 5  # how much lower a rebuild's validation process runs than the release writer


@dataclass
class Timings:
    """Seconds spent in each stage, in order (printed by the CLI and the benchmark), and the
    peak memory (MiB, of this process and of its worker processes) at the end of each."""

    stages: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, tuple[float, float]] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> float:
        now = time.perf_counter()
        self.stages[stage] = now - self._t
        self._t = now
        self.peaks[stage] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        return self.stages[stage]


def record_locations(records: Records, iris: Iris) -> dict[str, Where]:
    """The record file and line behind each IRI, to name them in validation reports."""
    where: dict[str, Where] = {}
    for kind, items in (("topic", records.topics), ("country", records.countries),
                        ("org", records.organisations), ("programme", records.programmes),
                        ("grant", records.grants), ("project", records.projects),
                        ("practice", records.practices)):
        for slug, rec in items.items():
            where[str(iris.thing(kind, slug))] = rec.where
    for pl in records.places.values():
        where[str(iris.place(pl))] = pl.where
    for host_kind, hosts in (("practice", records.practices), ("project", records.projects)):
        for host in hosts.values():
            for p in host.participants:
                node = iris.participation(host_kind, host.slug, p)
                where[str(node)] = host.where
    return where


def graph_from_data(data_dir: Path, base: str, timings: Timings,
                    extra_practices: Iterable[Path] = (),
                    cache: Cache | None = None, cache_dir: Path | None = None
                    ) -> tuple[Records, list[Quad]]:
    """Records and quads of a data folder, validated: on the whole graph at once, or unit by
    unit with verdicts kept in ``cache`` (see verdicts.py); DataError with every violation.
    ``cache_dir``: where the parsed records are kept between builds (see record_cache.py)."""
    record_cache = RecordCache(cache_dir) if cache_dir is not None else None
    records, quads = read_graph(data_dir, base, timings, extra_practices, record_cache)
    gc.freeze()  # what is made so far is kept: the collection below walks the validator's only
    try:
        violations = _violations(quads, base, cache)
        gc.collect()  # the validator's graphs, whatever the collector's state
    finally:
        gc.unfreeze()
    timings.lap("validation")
    _raise_any(violations, records, base)
    if record_cache is not None and cache_dir is not None:  # a first build: --out is new
        with contextlib.suppress(OSError):  # the release writer reports it
            cache_dir.parent.mkdir(parents=True, exist_ok=True)  # the build goes on to write it
        record_cache.save()
    return records, quads


def read_graph(data_dir: Path, base: str, timings: Timings,
               extra_practices: Iterable[Path] = (), record_cache: RecordCache | None = None,
               keep: bool = True) -> tuple[Records, list[Quad]]:
    """Records and quads of a data folder, not validated (DataError for a record that cannot
    be read). ``record_cache`` is saved when the folder holding its folder exists (by the
    caller, when ``keep`` is False and every record was read)."""
    records = read_records(data_dir, extra_practices, cache=record_cache, keep=keep)
    links = read_links(data_dir / LINKS_FILE)
    facts_file = data_dir / FACTS_FILE
    facts = json.loads(yamlio.read_text(facts_file)) if facts_file.exists() else None
    timings.lap("records")
    ontology = Graph().parse(ONTOLOGY)
    geolinks = read_geolinks(data_dir / GEONAMES_FILE)
    quads = build_quads(records, links, base, ontology, facts, geolinks)
    timings.lap("graph")
    return records, quads


def _violations(quads: list[Quad], base: str, cache: Cache | None,
                alone: bool = False) -> list[Violation]:
    # the shapes need no ontology: the ICC super-classes they rely on are materialised
    if cache is None:
        return run_shacl(as_graph(quads, for_shapes=True), None, load_shapes(base))
    violations, _ = validate_incrementally(quads, base, shapes_text(base), cache, alone=alone)
    cache.save()
    return violations


def _violations_beside(quads: list[Quad], base: str, cache: Cache, records: RecordCache
                       ) -> list[Violation] | None:
    """Run by a process forked beside the release writer, at a lower priority (nothing waits
    for it before the release is written): the violations, or None when more changed than one
    process checks alone (the build then validates with its pool). It saves the parsed
    records' cache too, which the build process would otherwise write meanwhile."""
    with contextlib.suppress(OSError):
        os.nice(NICE)
    records.save()
    try:
        return _violations(quads, base, cache, alone=True)
    except TooMuchChanged:
        return None


def _raise_any(violations: list[Violation], records: Records, base: str) -> None:
    if violations:
        raise DataError(as_problems(violations, record_locations(records, Iris(base))))


def build(data_dir: Path, out: Path, base: str, progress: Progress = lambda _: None,
          timings: Timings | None = None, full: bool = False) -> Release:
    """Build, validate and publish a release; on any error the old release is untouched.

    Validation verdicts and the digests of the store's graphs are kept in ``out/.cache`` and
    reused for what did not change; ``full`` validates the whole graph at once, writes the store
    from scratch and leaves the cache alone."""
    check_output(out)
    with _collector_paused():
        return _build(data_dir, out, base, progress, timings or Timings(), full)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building: the records, quads and graphs
    of a large catalogue are millions of objects, which each of its passes walked again (a
    third of the build's time at 10 000 practices). What validation leaves is collected once
    it is done (``graph_from_data``: one pass over what validation made, the rest frozen)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(data_dir: Path, out: Path, base: str, progress: Progress, timings: Timings,
           full: bool) -> Release:
    cache = None if full else Cache(out / CACHE_DIR)
    if cache is None or not cache.old:  # a first or full build: validated before writing
        records, quads = graph_from_data(data_dir, base, timings, cache=cache,
                                         cache_dir=None if full else out / CACHE_DIR)
        return _publish(data_dir, out, base, progress, timings, records, quads, full, None)
    # a rebuild: validated by a process forked beside the release writer, and nothing is
    # published before it says the graph conforms
    record_cache = RecordCache(out / CACHE_DIR)
    records, quads = read_graph(data_dir, base, timings, (), record_cache, keep=False)
    pending = Forked(_violations_beside, quads, base, cache, record_cache)
    try:
        def checked() -> None:
            violations = pending.result()
            if violations is None:
                violations = _violations(quads, base, cache)
            timings.lap("validation")  # what was left of it once the release was written
            _raise_any(violations, records, base)
            _conforms(progress, records, quads)
        return _publish(data_dir, out, base, progress, timings, records, quads, False,
                        checked)
    finally:
        pending.close()


def _conforms(progress: Progress, records: Records, quads: list[Quad]) -> None:
    progress(f"{len(records.practices)} practices, {len(records.places)} places, "
             f"{len(records.organisations)} organisations, {len(quads)} quads: conforms")


def _publish(data_dir: Path, out: Path, base: str, progress: Progress, timings: Timings,
             records: Records, quads: list[Quad], full: bool,
             checked: Callable[[], None] | None) -> Release:
    if checked is None:
        _conforms(progress, records, quads)
    iris = Iris(base)
    example = [iris.thing("practice", s) for s in sorted(records.practices)[:1]]
    example += [iris.place(p) for p in sorted(records.places.values(), key=lambda p: p.slug)[:1]]
    release = write_release(quads, iris, out, example, progress,
                            queries=sorted((data_dir / "queries").glob("*.rq")), lap=timings.lap,
                            reuse=not full,
                            before_publish=checked)
    timings.lap("publish")
    return release


def validate_paths(paths: list[Path], data_dir: Path, base: str) -> int:
    """Validate record files (with the data folder they refer to) or RDF files.

    Returns the number of things checked; raises DataError with every violation.
    """
    rdf = [p for p in paths if p.suffix not in (".yaml", ".yml")]
    records = [p for p in paths if p.suffix in (".yaml", ".yml")]
    for p in paths:
        if not p.exists():
            raise UsageError(f"{p} does not exist")
        if p in rdf and for_path(p.name) is None:
            raise UsageError(f"{p}: unknown file type; give a .yaml record or an RDF file "
                             "(.ttl, .nt, .jsonld, .rdf, .trig, .nq, optionally .gz)")
    checked = 0
    if records:
        # a shared file (places.yaml, ...) is checked as part of its data folder
        shared = set(SHARED_FILES.values())
        practices = [p for p in records if p.name not in shared]
        if len(practices) < len(records):
            data_dir = next(p for p in records if p.name in shared).parent
        _, quads = graph_from_data(data_dir, base, Timings(), extra_practices=practices)
        checked += len({q[0] for q in quads})
    if rdf:
        graph = Graph()
        for p in rdf:
            graph += _parse_rdf(p)
        violations = run_shacl(graph, Graph().parse(ONTOLOGY), load_shapes(base))
        if violations:
            raise DataError(as_problems(violations, {}))
        checked += len(set(graph.subjects()))
    return checked


def _parse_rdf(path: Path) -> Graph:
    fmt = for_path(path.name)
    assert fmt is not None
    try:
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") \
            else path.read_bytes()
        if fmt.dataset:
            ds = Dataset()
            ds.parse(data=data, format=fmt.rdflib)
            g = Graph()
            for s, p, o, _ in ds.quads((None, None, None, None)):
                g.add((s, p, o))
            return g
        return Graph().parse(data=data, format=fmt.rdflib)
    except Exception as exc:  # rdflib raises many types; all mean the same to the user
        raise DataError([Problem(f"cannot parse as {fmt.name}: {exc}", file=str(path),
                                 hint="check the file's syntax or its extension")]) from None

