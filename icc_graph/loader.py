"""Reading a data folder into ``Records``, reporting every problem with its file, line and field."""

from __future__ import annotations

import difflib
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from . import yamlio
from .errors import DataError, Problem, UsageError, rel
from .forking import held_signals, quiet_worker
from .periods import parse_period
from .record_cache import RecordCache
from .records import (
    COUNTRY_CODE,
    LANGS,
    ORG_TYPES,
    PLACE_TYPES,
    ROLES,
    SLUG,
    STATUSES,
    Country,
    Grant,
    Organisation,
    Participant,
    Period,
    Place,
    Practice,
    Programme,
    Project,
    Records,
    Topic,
    Where,
)

# The shared files of a data folder, in the order they are read.
SHARED_FILES = {
    "topics": "topics.yaml",
    "countries": "countries.yaml",
    "places": "places.yaml",
    "organisations": "organisations.yaml",
    "programmes": "programmes.yaml",
    "grants": "grants.yaml",
    "projects": "projects.yaml",
}
PRACTICES_DIR = "practices"

T = TypeVar("T")


class Fields:
    """Typed access to one YAML mapping; each problem is recorded with its line and field."""

    def __init__(self, node: Any, file: str, problems: list[Problem], line: int = 1):
        self.file = file
        self.problems = problems
        if isinstance(node, yamlio.Located):
            self.node: yamlio.Located = node
        else:
            self.node = yamlio.Located()
            self.node.line, self.node.lines = line, {}
            problems.append(Problem("expected a mapping of fields", file=file, line=line))
        self.known: set[str] = set()

    def unknown_fields(self) -> None:
        """Report every field no reader asked for: a record never loses a value silently."""
        for key in self.node:
            if key in self.known:
                continue
            close = difflib.get_close_matches(str(key), sorted(self.known), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.problems.append(Problem(
                f"unknown field '{key}'", self.file, self.node.line_of(str(key)), str(key),
                hint + "the fields allowed here are: " + ", ".join(sorted(self.known))))

    @property
    def where(self) -> Where:
        refs: list[tuple[str, str, int]] = []
        for key, value in self.node.items():
            if isinstance(value, yamlio.LocatedList):
                for item, line in zip(value, value.lines, strict=True):
                    if isinstance(item, str):
                        refs.append((str(key), item, line))
                    elif isinstance(item, yamlio.Located):
                        refs += [(str(key), str(item[k]), item.line_of(k))
                                 for k in ("org", "place") if isinstance(item.get(k), str)]
            elif isinstance(value, str):
                refs.append((str(key), value, self.node.line_of(str(key))))
        return Where(self.file, self.node.line, tuple(refs))

    def problem(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(message, self.file, self.node.line_of(key), key, hint))

    def get(self, key: str, default: Any = None) -> Any:
        self.known.add(key)
        return self.node.get(key, default)

    def raw(self, key: str) -> Any:
        return self.get(key)

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.get(key)
        if value is None or value == "":
            if required:
                self.problem(key, "is missing", f"add '{key}:' to the record")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.problem(key, f"must be text, not {type(value).__name__}")
            return None
        return value.strip()

    def slug(self, key: str = "slug", pattern: Any = SLUG) -> str:
        value = self.text(key, required=True) or ""
        if value and not pattern.match(value):
            self.problem(key, f"'{value}' is not a valid identifier",
                         "use lower-case letters, digits and single hyphens")
        return value

    def choice(self, key: str, choices: Iterable[str], required: bool = False) -> str | None:
        value = self.text(key, required)
        choices = tuple(choices)
        if value is not None and value not in choices:
            self.problem(key, f"'{value}' is not allowed", "use one of: " + ", ".join(choices))
        return value

    def status(self) -> str:
        return self.choice("status", STATUSES, required=True) or "imported"

    def labels(self, key: str, required: bool = True) -> dict[str, str]:
        value = self.get(key)
        if value is None:
            if required:
                self.problem(key, "is missing", f"add '{key}: {{en: ...}}'")
            return {}
        if not isinstance(value, dict) or not value:
            self.problem(key, "must map language codes to text, e.g. {en: Lublin, fr: Lublin}")
            return {}
        out: dict[str, str] = {}
        for lang, text in value.items():
            if not isinstance(lang, str) or not LANGS.match(lang):
                self.problem(key, f"'{lang}' is not a language code", "use codes such as en, fr")
            elif not isinstance(text, str) or not text.strip():
                self.problem(key, f"the '{lang}' text is empty or not text")
            else:
                out[lang] = text.strip()
        return out

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.problem(key, "must be a list of text values")
            return ()
        return tuple(str(v).strip() for v in value)

    def number(self, key: str) -> float | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(key, f"'{value}' is not a number")
            return None
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.get(key, False)
        if not isinstance(value, bool):
            self.problem(key, f"'{value}' is not true or false")
            return False
        return value

    def period(self, key: str = "period") -> Period | None:
        value = self.get(key)
        if value is None:
            return None
        sub = Fields(value, self.file, self.problems, self.node.line_of(key))
        text = sub.text("text")
        start, end = sub.get("start"), sub.get("end")
        ongoing = sub.get("ongoing")
        if text and start is None and end is None and ongoing is None:
            parsed = parse_period(text)
            start, end, ongoing = parsed.start, parsed.end, parsed.ongoing
        for name, year in (("start", start), ("end", end)):
            if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                                     or not 1000 <= year <= 2999):
                sub.problem(name, f"'{year}' is not a year", "write a four-digit year such as 2019")
                return None
        if start is not None and end is not None and start > end:
            sub.problem("end", f"the period starts in {start} but ends in {end}",
                        "swap the years, or correct 'text', 'start' and 'end'")
            return None
        if ongoing is not None and not isinstance(ongoing, bool):
            sub.problem("ongoing", f"'{ongoing}' is not true or false")
            ongoing = False
        sub.unknown_fields()
        return Period(text=text, start=start, end=end, ongoing=bool(ongoing))

    def participants(self, key: str = "participants") -> tuple[Participant, ...]:
        value = self.get(key) or []
        if not isinstance(value, list):
            self.problem(key, "must be a list of {org: slug, role: ...} "
                              "or {place: slug, role: ...}")
            return ()
        out = []
        for item in value:
            sub = Fields(item, self.file, self.problems, self.node.line_of(key))
            kinds = [k for k in ("org", "place") if sub.get(k) is not None or k in sub.node]
            if len(kinds) != 1:
                sub.problem("org", "a participant names exactly one 'org:' or one 'place:'")
                continue
            agent = sub.slug(kinds[0])
            role = sub.choice("role", ROLES, required=True)
            sub.unknown_fields()
            if agent and role:
                out.append(Participant(kinds[0], agent, role))
        return tuple(out)


def _items(path: Path, problems: list[Problem], data: bytes | None = None) -> list[Any]:
    if not path.exists():
        return []
    try:
        data = yamlio.load(path, data)
    except DataError as exc:
        problems.extend(exc.problems)
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(Problem("expected a list of records (lines starting with '- ')",
                                file=rel(path), line=1))
        return []
    return data


def _read_shared(path: Path, problems: list[Problem], make: Callable[[Fields], T],
                 into: dict[str, T], cache: RecordCache | None = None) -> None:
    data = None
    if cache is not None:
        kept, data = cache.get(path, "shared")
        if kept is not None:
            into.update(kept)
            return
    found: list[Problem] = []
    read: dict[str, T] = {}
    _read_shared_items(path, found, make, read, data)
    problems.extend(found)
    into.update(read)
    if cache is not None and data is not None and not found:
        cache.put(path, "shared", data, read)


def _read_shared_items(path: Path, problems: list[Problem], make: Callable[[Fields], T],
                       into: dict[str, T], data: bytes | None) -> None:
    file = rel(path)
    first_line: dict[str, int] = {}
    for node in _items(path, problems, data):
        fields = Fields(node, file, problems)
        record = make(fields)
        fields.unknown_fields()
        slug = record.slug  # type: ignore[attr-defined]
        if not slug:
            continue
        if slug in into:
            fields.problem("slug", f"'{slug}' is already used at line {first_line[slug]}",
                           "give one of the two records another slug, or merge them")
            continue
        first_line[slug] = fields.node.line
        into[slug] = record


def _topic(f: Fields) -> Topic:
    return Topic(f.slug(), f.labels("label"), f.status(), f.where, updated=f.text("updated"))


def _country(f: Fields) -> Country:
    return Country(f.slug(pattern=COUNTRY_CODE), f.labels("label"), f.status(), f.where,
                   f.flag("in_site_filter"), updated=f.text("updated"))


def _place(f: Fields) -> Place:
    return Place(
        f.slug(), f.choice("type", PLACE_TYPES, required=True) or "city", f.labels("label"),
        f.slug("country", COUNTRY_CODE), f.status(), f.where, f.texts("alt_labels"),
        f.number("lat"), f.number("long"), updated=f.text("updated"),
    )


def _organisation(f: Fields) -> Organisation:
    return Organisation(
        f.slug(), f.labels("label"), f.status(), f.where, f.choice("type", ORG_TYPES),
        f.text("acronym"), f.texts("alt_labels"), f.text("country"), f.text("based_in"),
        f.text("part_of"), f.text("source"), updated=f.text("updated"),
    )


def _programme(f: Fields) -> Programme:
    return Programme(f.slug(), f.labels("label"), f.status(), f.where, f.text("acronym"),
                     f.texts("alt_labels"), f.text("funder"), f.text("source"),
                     updated=f.text("updated"))


def _grant(f: Fields) -> Grant:
    return Grant(f.slug(), f.text("number", required=True) or "", f.status(), f.where,
                 f.text("programme"), f.text("funder"), f.text("source"),
                 updated=f.text("updated"))


def _project(f: Fields) -> Project:
    return Project(
        f.slug(), f.labels("label"), f.status(), f.where, f.text("acronym"),
        f.texts("alt_labels"), f.texts("grants"), f.texts("programmes"), f.participants(),
        f.period(), f.text("source"), updated=f.text("updated"),
    )


PARALLEL_FILES = 2000  # record files to parse from which the parsing is spread over the cores


def _parse(job: tuple[Path, bool]) -> tuple[Practice | None, list[Problem], str]:
    path, check_name = job
    found: list[Problem] = []
    try:
        data = path.read_bytes()
    except OSError:
        data = None
    practice = _read_practice(path, found, check_name, data)
    return practice, found, hashlib.sha256(data or b"").hexdigest()


def _read_practices(jobs: list[tuple[Path, bool]], cache: RecordCache | None
                    ) -> Iterator[tuple[Practice | None, list[Problem]]]:
    """The practice of each (path, check the name?) and its problems, in order: from ``cache``
    when the file is unchanged, else parsed (on every core when there are many)."""
    kept: list[Practice | None] = [None] * len(jobs)
    misses: list[int] = []
    for i, (path, check_name) in enumerate(jobs):
        found = cache.get(path, _kind(check_name))[0] if cache is not None else None
        if found is None:
            misses.append(i)
        else:
            kept[i] = found
    todo = [jobs[i] for i in misses]
    cores = min(2, os.cpu_count() or 1)
    if cores > 1 and len(todo) >= PARALLEL_FILES:
        with held_signals():
            pool = multiprocessing.get_context("fork").Pool(cores, quiet_worker)
        with pool:
            parsed = pool.map(_parse, todo, chunksize=max(1, len(todo) // (8 * cores)))
    else:
        parsed = [_parse(job) for job in todo]
    by_index = dict(zip(misses, parsed, strict=True))
    for i, (path, check_name) in enumerate(jobs):
        if i not in by_index:
            yield kept[i], []
            continue
        practice, found, digest = by_index[i]
        if cache is not None and not found and practice is not None:
            cache.put(path, _kind(check_name), digest, practice)
        yield practice, found


def _kind(check_name: bool) -> str:
    return "practice" if check_name else "practice, any name"


def _read_practice(path: Path, problems: list[Problem], check_name: bool,
                   data: bytes | None) -> Practice | None:
    try:
        node = yamlio.load(path, data)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    f = Fields(node, rel(path), problems)
    slug = f.slug()
    if check_name and slug and slug != path.stem:
        f.problem("slug", f"'{slug}' differs from the file name '{path.name}'",
                  f"rename the file to {slug}.yaml or change the slug")
    text = f.raw("text")
    practice = Practice(
        slug=slug, titles=f.labels("title"), status=f.status(), where=f.where,
        source=f.text("source", required=True) or "", places=f.texts("places"),
        countries=f.texts("countries"), topics=f.texts("topics"), period=f.period(),
        also_seen_at=f.texts("also_seen_at"), projects=f.texts("projects"),
        programmes=f.texts("programmes"), participants=f.participants(),
        updated=f.text("updated"), text=dict(text) if isinstance(text, dict) else {},
    )
    f.unknown_fields()
    return practice


def read_records(data_dir: Path, extra_practices: Iterable[Path] = (),
                 practices: bool = True, cache: RecordCache | None = None,
                 keep: bool = True) -> Records:
    """Read and check a whole data folder (or only its shared files, when ``practices`` is
    False). Raises DataError listing every problem found. ``cache``: records read before, reused
    for the files that did not change (see record_cache.py), saved here unless ``keep`` is
    False and the data has no problem (the caller saves it); the checks across records are
    made again every time."""
    if not data_dir.is_dir():
        raise UsageError(f"data folder {data_dir} does not exist (use --data DIR)")
    problems: list[Problem] = []
    records = Records()
    readers: dict[str, Callable[[Fields], Any]] = {
        "topics": _topic, "countries": _country, "places": _place,
        "organisations": _organisation, "programmes": _programme, "grants": _grant,
        "projects": _project,
    }
    for kind, name in SHARED_FILES.items():
        _read_shared(data_dir / name, problems, readers[kind], getattr(records, kind), cache)
    # files given on the command line stand in for the data folder's records of the same slug
    given = [p for p in extra_practices]
    given_resolved = {p.resolve() for p in given}
    files = given + [p for p in sorted((data_dir / PRACTICES_DIR).glob("*.yaml"))
                     if practices and (not given or p.resolve() not in given_resolved)]
    shadowed: set[str] = set()
    given_flags = [bool(given) and path.resolve() in given_resolved for path in files]
    jobs = [(path, not is_given or path.parent.resolve() == (data_dir / PRACTICES_DIR).resolve())
            for path, is_given in zip(files, given_flags, strict=True)]
    for is_given, (practice, found) in zip(given_flags, _read_practices(jobs, cache),
                                           strict=True):
        problems.extend(found)
        if practice is None or not practice.slug:
            continue
        if is_given:
            shadowed.add(practice.slug)
        elif practice.slug in shadowed:
            continue
        if practice.slug in records.practices:
            other = records.practices[practice.slug].where.file
            problems.append(Problem(f"slug '{practice.slug}' is also used by {other}",
                                    file=practice.where.file, line=practice.where.line,
                                    field="slug", hint="give one of the practices another slug"))
            continue
        records.practices[practice.slug] = practice
    problems.extend(check_references(records))
    if cache is not None and (keep or problems):
        cache.save()
    if problems:
        raise DataError(problems)
    return records


def _unknown(kind: str, value: str, known: Iterable[str], file_hint: str) -> tuple[str, str]:
    close = difflib.get_close_matches(value, list(known), n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return f"unknown {kind} '{value}'", hint + f"use a slug defined in data/{file_hint}"


def check_references(r: Records) -> list[Problem]:
    """Every slug a record refers to must name a record of the right kind."""
    problems: list[Problem] = []

    def check(where: Where, key: str, kind: str, value: str | None, known: dict[str, Any],
              file_hint: str) -> None:
        if value and value not in known:
            message, hint = _unknown(kind, value, known, file_hint)
            problems.append(Problem(message, where.file, where.line_of(key, value), key, hint))

    def check_participants(where: Where, parts: Iterable[Participant]) -> None:
        for p in parts:
            if p.kind == "org":
                check(where, "participants", "organisation", p.agent, r.organisations,
                      "organisations.yaml")
            else:
                check(where, "participants", "place", p.agent, r.places, "places.yaml")

    for pl in r.places.values():
        check(pl.where, "country", "country", pl.country, r.countries, "countries.yaml")
    for o in r.organisations.values():
        check(o.where, "country", "country", o.country, r.countries, "countries.yaml")
        check(o.where, "based_in", "place", o.based_in, r.places, "places.yaml")
        check(o.where, "part_of", "organisation", o.part_of, r.organisations,
              "organisations.yaml")
    for pg in r.programmes.values():
        check(pg.where, "funder", "organisation", pg.funder, r.organisations,
              "organisations.yaml")
    for g in r.grants.values():
        check(g.where, "programme", "programme", g.programme, r.programmes, "programmes.yaml")
        check(g.where, "funder", "organisation", g.funder, r.organisations, "organisations.yaml")
    for pj in r.projects.values():
        for gr in pj.grants:
            check(pj.where, "grants", "grant", gr, r.grants, "grants.yaml")
        for pg_slug in pj.programmes:
            check(pj.where, "programmes", "programme", pg_slug, r.programmes, "programmes.yaml")
        check_participants(pj.where, pj.participants)
    for pr in r.practices.values():
        w = pr.where
        for t in pr.topics:
            check(w, "topics", "topic", t, r.topics, "topics.yaml")
        for c in pr.countries:
            check(w, "countries", "country", c, r.countries, "countries.yaml")
        for p in pr.places:
            check(w, "places", "place", p, r.places, "places.yaml")
        for pj_slug in pr.projects:
            check(w, "projects", "project", pj_slug, r.projects, "projects.yaml")
        for pg_slug in pr.programmes:
            check(w, "programmes", "programme", pg_slug, r.programmes, "programmes.yaml")
        check_participants(w, pr.participants)
    return problems
