"""The browsable catalogue, read from the release's read model (``cat_*`` tables, see
docs/read-model.md) once per process: every practice with its facet memberships as numpy
arrays, so that a filter is a few array operations and a facet's counts one ``bincount``."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from markupsafe import escape

from icc_graph.readmodel import ReadModel
from icc_graph.readmodel.catalogue import FACETS
from icc_graph.search_index import fold

from . import twins
from .context import ctx
from .errors import Problem

FACET_LABELS = {"topic": "Topic", "country": "Country", "year": "Year", "city": "City",
                "organisation": "Organisation", "project": "Project",
                "programme": "Funding programme"}
# the value a facet offers for the practices that record none ("no topic recorded"): a user
# filtering by topic sees what the filter cannot see
NOT_RECORDED = "none"
NOT_RECORDED_LABELS = {"topic": "no topic recorded", "year": "no year recorded"}
SORTS = {"title": "rank_title_{lang}", "year": "rank_year", "-year": "rank_year_desc"}
Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


def years(start: int | None, end: int | None, ongoing: bool, this_year: int) -> set[str]:
    """Every year of a period: an ongoing practice counts up to this year."""
    if start is None:
        return set()
    last = end if end is not None else (this_year if ongoing else start)
    return {str(y) for y in range(start, max(start, last) + 1)}


@dataclass(frozen=True)
class Practice:
    """One practice as the list shows it."""

    n: int
    iri: str
    slug: str
    titles: dict[str, str]
    start: int | None
    end: int | None
    ongoing: bool
    period: str | None

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("en") or next(iter(self.titles.values()))


@dataclass(frozen=True)
class Facet:
    """A facet's values (IRIs, or years), the pairs (practice, value) sorted by value and by
    practice, and the practices that record none."""

    values: list[str]
    index: dict[str, int]
    keys: dict[str, str]  # the value's key in URLs -> its IRI (or NOT_RECORDED)
    key_of: list[str]  # value number -> its key
    quoted: list[str]  # value number -> its key as in a query string
    practice: Ints  # pairs sorted by value: practice numbers ...
    value: Ints  # ... and value numbers
    starts: Ints  # value v's pairs are practice[starts[v]:starts[v + 1]]
    none: Mask
    by_practice: Ints  # the values of practice p are by_practice[p_starts[p]:p_starts[p + 1]]
    p_starts: Ints

    def having(self, v: int) -> Ints:
        return self.practice[self.starts[v]:self.starts[v + 1]]

    def of(self, p: int) -> list[int]:
        return self.by_practice[self.p_starts[p]:self.p_starts[p + 1]].tolist()


class Practices(Mapping[str, Practice]):
    """The practices by IRI (numbered ``Practice.n`` in the read model's order), each made
    when it is asked for."""

    def __init__(self, rows: list[tuple[object, ...]]):
        self._rows = rows
        self.number = {str(r[1]): int(str(r[0])) for r in rows}

    def at(self, n: int) -> Practice:
        r = self._rows[n]
        return Practice(n, str(r[1]), str(r[2]), json.loads(str(r[3])), r[4], r[5],  # type: ignore[arg-type]
                        bool(r[6]), r[7])  # type: ignore[arg-type]

    def __getitem__(self, iri: str) -> Practice:
        return self.at(self.number[iri])

    def __iter__(self) -> Iterator[str]:
        return iter(self.number)

    def __len__(self) -> int:
        return len(self._rows)


class Catalogue:
    def __init__(self, read: ReadModel, this_year: int | None = None):
        this_year = this_year or dt.date.today().year
        columns = ("rank_year", "rank_year_desc", "rank_title_en", "rank_title_fr")
        rows = read.execute('SELECT n, iri, slug, titles, start, "end", ongoing, period, '
                            f"{', '.join(columns)} FROM cat_practice ORDER BY n").fetchall()
        self.practices = Practices(rows)
        self.size = len(rows)
        ranks = np.array([r[8:] for r in rows], dtype=np.int64).reshape(-1, len(columns))
        self.ranks = {column: ranks[:, i].copy() for i, column in enumerate(columns)}
        self.labels: dict[str, dict[str, str]] = {}
        for iri, lang, label in read.execute("SELECT iri, lang, label FROM cat_label"):
            self.labels.setdefault(iri, {})[lang] = label
        self.facets: dict[str, Facet] = {}
        for facet in FACETS:
            if facet == "year":
                self.facets[facet] = self._years(rows, this_year)
                continue
            values = read.execute("SELECT iri, key, quoted FROM cat_value WHERE facet = ? "
                                  "ORDER BY n", (facet,)).fetchall()
            pairs = np.array(read.execute("SELECT practice, value FROM cat_member WHERE "
                                          "facet = ? ORDER BY value, practice",
                                          (facet,)).fetchall(), dtype=np.int64).reshape(-1, 2)
            self.facets[facet] = self._facet(facet, values, pairs[:, 0].copy(),
                                             pairs[:, 1].copy())
        self._folded: list[tuple[str, ...]] | None = None
        self._text: dict[str, Mask] = {}
        self._whole: dict[str, tuple[Ints, int]] = {}  # each facet's counts over every practice
        self._shown: dict[tuple[str, str], tuple[list[str], list[str], Ints]] = {}
        self._items: dict[tuple[str, str, str], list[str]] = {}
        self._lock = threading.Lock()

    def _years(self, rows: list[tuple[object, ...]], this_year: int) -> Facet:
        """The year facet, from the periods: every year of a period, an ongoing one up to
        this year (see ``years``)."""
        start = np.array([r[4] if r[4] is not None else -1 for r in rows], dtype=np.int64)
        end = np.array([r[5] if r[5] is not None else -1 for r in rows], dtype=np.int64)
        ongoing = np.array([bool(r[6]) for r in rows], dtype=np.bool_)
        known = start >= 0
        last = np.where(end >= 0, end, np.where(ongoing, this_year, start))
        length = np.where(known, np.maximum(start, last) - start + 1, 0)
        practice = np.repeat(np.arange(len(rows), dtype=np.int64), length)
        offset = np.arange(len(practice), dtype=np.int64) - np.repeat(
            np.cumsum(length) - length, length)
        year = np.repeat(start, length) + offset
        found, value = np.unique(year, return_inverse=True)
        order = np.lexsort((practice, value))
        labels = [str(y) for y in found.tolist()]
        return self._facet("year", [(y, y, y) for y in labels], practice[order],
                           value[order].astype(np.int64))

    def _facet(self, facet: str, values: list[tuple[str, str, str]], practice: Ints,
               value: Ints) -> Facet:
        starts = np.searchsorted(value, np.arange(len(values) + 1)).astype(np.int64)
        none = np.ones(self.size, dtype=np.bool_)
        none[practice] = False
        order = np.argsort(practice, kind="stable")
        p_starts = np.searchsorted(practice[order], np.arange(self.size + 1)).astype(np.int64)
        keys = {key: iri for iri, key, _ in values}
        if facet in NOT_RECORDED_LABELS:
            keys[NOT_RECORDED] = NOT_RECORDED
        return Facet([iri for iri, _, _ in values],
                     {iri: i for i, (iri, _, _) in enumerate(values)},
                     keys, [key for _, key, _ in values], [quoted for _, _, quoted in values],
                     practice, value, starts, none, value[order], p_starts)

    def label(self, iri: str, lang: str) -> str:
        names = self.labels.get(iri)
        if not names:
            return iri.rsplit("/", 1)[-1]
        return names.get(lang) or names.get("en") or next(iter(names.values()))

    def values_of(self, p: Practice, facet: str) -> list[str]:
        f = self.facets[facet]
        return [f.values[v] for v in f.of(p.n)]

    def used(self, facet: str) -> list[str]:
        """The values of a facet that some practice has."""
        f = self.facets[facet]
        return [f.values[v] for v in np.flatnonzero(np.diff(f.starts))]

    # ------------------------------------------------------------------ filtering and counts

    def masks(self, chosen: dict[str, set[str]], q: str = "") -> dict[str, Mask]:
        """For each facet with a choice (and "q" for the text), the practices it lets through:
        any of the values chosen in one facet, the practices that record none for
        NOT_RECORDED."""
        out: dict[str, Mask] = {}
        for facet, picked in chosen.items():
            if not picked:
                continue
            f = self.facets[facet]
            mask = np.zeros(self.size, dtype=np.bool_)
            for iri in picked:
                if iri == NOT_RECORDED and facet in NOT_RECORDED_LABELS:
                    mask |= f.none
                elif iri in f.index:
                    mask[f.having(f.index[iri])] = True
            out[facet] = mask
        words = fold(q).split()  # case, accents and punctuation aside, as /search reads
        if words:
            out["q"] = self._words(" ".join(words))
        return out

    def _words(self, q: str) -> Mask:
        with self._lock:
            found = self._text.get(q)
        if found is None:
            if self._folded is None:
                self._folded = [tuple(fold(t) for t in self.practices.at(n).titles.values())
                                for n in range(self.size)]
            words = q.split()
            found = np.array([all(any(w in t for t in titles) for w in words)
                              for titles in self._folded], dtype=np.bool_)
            with self._lock:
                if len(self._text) > 256:
                    self._text.clear()
                self._text[q] = found
        return found

    def selection(self, masks: dict[str, Mask], skip: str | None = None) -> Mask:
        """The practices every mask but ``skip``'s lets through."""
        out = np.ones(self.size, dtype=np.bool_)
        for facet, mask in masks.items():
            if facet != skip:
                out &= mask
        return out

    def tally(self, facet: str, selected: Mask) -> tuple[Ints, int]:
        """How many of the selected practices have each value of a facet (by value number),
        and how many have none."""
        f = self.facets[facet]
        chosen = np.flatnonzero(selected)
        if len(chosen) == self.size:  # every practice: counted once
            whole = self._whole.get(facet)
            if whole is None:
                whole = self._whole[facet] = (np.diff(f.starts), int(np.count_nonzero(f.none)))
            return whole
        if 2 * len(chosen) < self.size:  # few practices: read their own values
            first, last = f.p_starts[chosen], f.p_starts[chosen + 1]
            lengths = last - first
            total = int(lengths.sum())
            ends = np.cumsum(lengths)
            at = np.arange(total) + np.repeat(first - (ends - lengths), lengths)
            n = np.bincount(f.by_practice[at], minlength=len(f.values))
        else:
            n = np.bincount(f.value[selected[f.practice]], minlength=len(f.values))
        return n, int(np.count_nonzero(f.none[chosen]))

    def shown(self, facet: str, lang: str) -> tuple[list[str], list[str], Ints]:
        """A facet's value labels in a language, HTML-escaped, and each value's rank in the
        order of its casefolded label (made once per facet and language)."""
        key = (facet, lang)
        found = self._shown.get(key)
        if found is None:
            f = self.facets[facet]
            labels = f.values if facet == "year" else [self.label(v, lang) for v in f.values]
            order = sorted(range(len(labels)), key=lambda i: labels[i].casefold())
            rank = np.empty(len(labels), dtype=np.int64)
            rank[order] = np.arange(len(labels))
            found = (labels, [str(escape(x)) for x in labels], rank)
            with self._lock:
                self._shown[key] = found
        return found

    def json_values(self, facet: str, lang: str) -> list[str]:
        """What follows a value's count in its JSON row of the list (``browse.Facets.json``)
        up to its URL: its key, its label, and that it is not chosen; made once per facet and
        language."""
        key = ("json", facet, lang)
        found = self._items.get(key)
        if found is None:
            f, labels = self.facets[facet], self.shown(facet, lang)[0]
            dumps = twins.dumps
            found = [f',"key":{dumps(k)},"label":{dumps(label)},"selected":false,"url":"'
                     for k, label in zip(f.key_of, labels, strict=True)]
            with self._lock:
                self._items[key] = found
        return found

    def unchosen(self, facet: str, lang: str) -> list[str]:
        """What follows the URL in a facet's list item of a value not chosen, up to its count
        (see ``browse.Facets.pages``), per value; made once per facet and language."""
        key = ("item", facet, lang)
        found = self._items.get(key)
        if found is None:
            f, escaped = self.facets[facet], self.shown(facet, lang)[1]
            found = [f'" class="" data-value="{escape(k)}">☐ {label}</a> <span class="count">'
                     for k, label in zip(f.key_of, escaped, strict=True)]
            with self._lock:
                self._items[key] = found
        return found

    def ordered(self, selected: Mask, sort: str, lang: str) -> Ints:
        """The numbers of the selected practices in a sort order of the list."""
        column = SORTS[sort].format(lang=lang if lang in ("en", "fr") else "en")
        found = np.flatnonzero(selected)
        rank = self.ranks[column]
        return found[np.argsort(rank[found], kind="stable")]


_lock = threading.Lock()


def catalogue_of(read: ReadModel, memo: dict[str, object]) -> Catalogue:
    """The catalogue of the app's release, read on first use."""
    with _lock:
        cached = memo.get("catalogue")
        if not isinstance(cached, Catalogue):
            cached = memo["catalogue"] = Catalogue(read)
    return cached


def catalogue() -> Catalogue:
    """The catalogue of the app serving this request."""
    c = ctx()
    if c.read is None:
        raise Problem(503, f"the release at {c.release.path} has no read model: run "
                           "`icc-graph build` to write it again")
    return catalogue_of(c.read, c.memo)
