"""The entity pages' related sections: what a thing is linked to two steps away (a city's
practices, partner organisations and the cities it collaborates with; a project's grant,
programme, partners and cities; ...), in each language of the pages.

Each section is a SPARQL pattern about ``<THIS>``. The build runs each pattern once for every
thing at the same time (``<THIS>`` becomes the variable ``?this``) over the release's store,
and keeps, per thing and language, the first ``LIMIT`` rows in the order a page would show
them; ``page_query`` is the same pattern for one thing, as a page once asked it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from ..forking import Forked
from ..model import Quad
from ..namespaces import ICC_IRI
from ..store import Row, Term, Triple
from . import joins
from .joins import Graph

LANGUAGES = ("en", "fr")  # the languages of the pages (server/i18n.py)
LIMIT = 500  # items kept in one section
P = f"PREFIX icc: <{ICC_IRI}> "
LABEL = """OPTIONAL { ?x icc:name|icc:title ?label . FILTER(lang(?label) = "{lang}") }
OPTIONAL { ?x icc:name|icc:title ?en . FILTER(lang(?en) = "en") }"""
ROLE = "?r <http://www.w3.org/2000/01/rdf-schema#label> ?note FILTER(lang(?note) = 'en')"

# kind -> [(heading, pattern)]: a heading is a key of the interface's words (server/i18n.py);
# a pattern binds ?x (the item) and may bind ?note (shown beside it)
_COLLABORATION = (
    "{ ?p a icc:GoodPractice ; icc:place <THIS> , ?x } UNION { ?a icc:agent <THIS> ; "
    "icc:participationIn ?pj . ?b icc:participationIn ?pj ; icc:agent ?x } UNION "
    "{ ?p a icc:GoodPractice ; icc:place <THIS> . ?b icc:participationIn ?p ; icc:agent ?x } "
    "UNION { ?a icc:agent <THIS> ; icc:participationIn ?p . ?p a icc:GoodPractice ; "
    "icc:place ?x }")


class Section(NamedTuple):
    """A related section: its heading, its pattern about ``<THIS>`` (what a page asks the
    backend of a release without a read model), and the same pattern as a join over every
    thing at once (``joins``), which the build runs."""

    heading: str
    pattern: str
    join: joins.Join


WHO = f"?a icc:participationIn <THIS> ; icc:agent ?x ; icc:role ?r . {ROLE}"
CITY = [
    Section("Practices", "?x icc:place <THIS> ; a icc:GoodPractice", joins.city_practices),
    Section("Partner organisations", "?p icc:place <THIS> . ?part icc:participationIn ?p ; "
            "icc:agent ?x . ?x a icc:Organisation", joins.city_partners),
    # the collaboration rule (docs/model.md): a shared practice, the same project as
    # participants, or taking part in the other's practice; never "documented under"
    Section("Cities it collaborates with", f"{{ {_COLLABORATION} }} ?x a icc:City . "
            "FILTER(?x != <THIS>)", joins.city_collaborations),
    Section("Projects it takes part in", "?a icc:agent <THIS> ; icc:participationIn ?x . "
            "?x a icc:Project", joins.agent_projects),
    Section("Projects its practices are documented under",
            "?p icc:place <THIS> ; icc:relatedProject ?x", joins.city_documented_under),
]
RELATED: dict[str, list[Section]] = {
    "city": CITY,
    "place": CITY,
    "org": [
        Section("Practices", "?a icc:agent <THIS> ; icc:participationIn ?x . "
                "?x a icc:GoodPractice", joins.org_practices),
        Section("Projects", "?a icc:agent <THIS> ; icc:participationIn ?x ; icc:role ?r . "
                f"?x a icc:Project . {ROLE}", joins.org_projects),
        Section("Cities", "?a icc:agent <THIS> ; icc:participationIn ?p . ?p icc:place ?x . "
                "?x a icc:City", joins.org_cities),
    ],
    "project": [
        Section("Grant", "<THIS> icc:grant ?x", joins.grant_of),
        Section("Funding programme", "{ <THIS> icc:fundingProgramme ?x } UNION "
                "{ <THIS> icc:grant/icc:programme ?x }", joins.programme_of),
        Section("Who took part", WHO, joins.who_took_part),
        Section("Cities taking part", "?a icc:participationIn <THIS> ; icc:agent ?x . "
                "?x a icc:City", joins.cities_taking_part),
        Section("Cities where its participants are based", "?a icc:participationIn <THIS> ; "
                "icc:agent ?o . ?o icc:basedIn ?x", joins.cities_of_participants),
        Section("Practices documented under it", "?x icc:relatedProject <THIS>",
                joins.documented_under_it),
    ],
    "programme": [
        Section("Grants", "?x icc:programme <THIS>", joins.programme_grants),
        Section("Projects", "{ ?x icc:fundingProgramme <THIS> } UNION "
                "{ ?x icc:grant/icc:programme <THIS> }", joins.programme_projects),
        Section("Practices", "{ ?x icc:fundingProgramme <THIS> } UNION "
                "{ ?x icc:relatedProject ?pj . { ?pj icc:fundingProgramme <THIS> } UNION "
                "{ ?pj icc:grant/icc:programme <THIS> } } ?x a icc:GoodPractice",
                joins.programme_practices),
    ],
    "grant": [Section("Projects", "?x icc:grant <THIS>", joins.grant_projects),
              Section("Practices", "?x icc:relatedProject/icc:grant <THIS>",
                      joins.grant_practices)],
    "country": [Section("Cities", "?x icc:locatedIn <THIS>", joins.country_cities),
                Section("Practices", "?x icc:country <THIS> ; a icc:GoodPractice",
                        joins.country_practices)],
    "topic": [Section("Practices", "?x icc:topic <THIS>", joins.topic_practices)],
    "practice": [
        Section("Who took part", WHO, joins.who_took_part),
        Section("Documented under project", "<THIS> icc:relatedProject ?x",
                joins.practice_projects),
    ],
}


def page_query(pattern: str, iri: str, lang: str) -> str:
    """A section's query for one thing, as an entity page asked it before the read model
    (ordered on every column, so that rows tied on the name and the item keep one order)."""
    return (P + "SELECT DISTINCT ?x ?note ?label ?en WHERE { " + pattern.replace(
        "<THIS>", f"<{iri}>") + " " + LABEL.replace("{lang}", lang)
        + " } ORDER BY ?en ?x ?note ?label LIMIT " + str(LIMIT))


def items(rows: list[Row]) -> list[dict[str, Any]]:
    """A section's items from its rows (?x ?note ?label ?en): the item's IRI, its name in the
    page's language (else English, else the IRI), that name's language, and the note."""
    out = []
    for x, note, label, en in rows[:LIMIT]:
        if x is None:
            continue
        chosen = label or en
        text = chosen[1] if chosen else x[1]
        out.append({"iri": str(x[1]), "text": str(text or x[1]),
                    "lang": chosen[3] if chosen and len(chosen) > 3 else None,
                    "note": str(note[1]) if note else None})
    return out


def sections(triples: Iterable[Triple], base: str, only: set[Term] | None = None
             ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(thing IRI, language) -> its sections (heading and items), in the pages' order; things
    without any item have no entry. ``only``: the things to make them for (all by default)."""
    graph = Graph(triples)
    names = graph.names()
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for kind, patterns in RELATED.items():
        prefix = f"{base}id/{kind}/"
        graph.keep = partial(_under, prefix) if only is None else partial(_among, prefix, only)
        # a few things asked (a rebuild's): the joins start from them, not from every triple
        graph.these = None if only is None else sorted(t for t in only if _under(prefix, t))
        for section in patterns:
            per: dict[Term, set[tuple[Term, Term | None]]] = defaultdict(set)
            for this, x, note in section.join(graph):
                if graph.keep(this):
                    per[this].add((x, note))
            for this, pairs in per.items():
                for lang in LANGUAGES:
                    listed = items(_rows(pairs, names, lang))
                    if listed:
                        found[(str(this[1]), lang)].append(
                            {"heading": section.heading, "items": listed})
    return found


def _under(prefix: str, this: Term) -> bool:
    return this[0] == "uri" and str(this[1]).startswith(prefix)


def _among(prefix: str, only: set[Term], this: Term) -> bool:
    return this in only and _under(prefix, this)


# what a change can reach: the joins' paths run along these properties (either way), at
# most DEPTH steps from ?this to the last thing whose triples they read (a city's
# collaborations: ?this <- agent - ?a -> participationIn -> ?y <- participationIn - ?b ->
# agent -> ?x, and ?x's type and names)
DEPTH = 4
ALONG = frozenset({joins.PLACE, joins.AGENT, joins.IN, joins.RELATED_PROJECT, joins.GRANT,
                   joins.BASED})
# a path ends at the objects of these (a role, a topic, a country, a programme): reached, never
# passed through, unless the change is theirs
TO_ENDS = frozenset({joins.ROLE, joins.TOPIC, joins.COUNTRY, joins.LOCATED, joins.PROGRAMME,
                     joins.FUNDING})
# the source files of the sections: a read model whose rows other code wrote is made anew
CODE = hashlib.sha256(b"".join(Path(f).read_bytes() for f in (__file__, joins.__file__))
                      ).hexdigest()[:16]


def reached(triples: Iterable[Triple], changed: Iterable[Triple]) -> set[Term]:
    """Every thing whose sections a changed triple (one added or removed) can alter: those
    within DEPTH steps of its subject or object along the joins' properties, over the triples
    of now and the changed ones (so that a path a removed triple cut is followed too)."""
    changed = list(changed)
    ahead: dict[Term, set[Term]] = defaultdict(set)  # subject -> objects, along or to an end
    back: dict[Term, set[Term]] = defaultdict(set)  # object -> subjects
    ends: set[Term] = set()
    for s, p, o in itertools.chain(triples, changed):
        if p in ALONG or p in TO_ENDS:
            ahead[s].add(o)
            back[o].add(s)
            if p in TO_ENDS:
                ends.add(o)
    start = {x for s, _, o in changed for x in (s, o) if x[0] == "uri"}
    seen = set(start)
    frontier = list(start)
    for _ in range(DEPTH):
        step: list[Term] = []
        for node in frontier:
            if node in ends and node not in start:
                continue  # a path does not go on through an end
            for n in itertools.chain(ahead.get(node, ()), back.get(node, ())):
                if n not in seen:
                    seen.add(n)
                    step.append(n)
        frontier = step
    return seen


def _rows(pairs: set[tuple[Term, Term | None]], names: dict[Term, list[Term]],
          lang: str) -> list[Row]:
    """The rows the page query gives for these (item, note) pairs: each joined with the
    item's names in the language and in English (OPTIONAL: none gives one unbound row),
    distinct, in the query's order (ORDER BY ?en ?x ?note ?label)."""
    rows: set[Row] = set()
    order = _ORDERS
    for x, note in pairs:
        its = names.get(x, [])
        labels: list[Term | None] = [n for n in its if n[3] == lang] or [None]
        ens: list[Term | None] = [n for n in its if n[3] == "en"] or [None]
        rows.update((x, note, label, en) for label in labels for en in ens)
    for r in rows:
        for t in r:
            if t not in order:
                order[t] = _order(t)
    return sorted(rows, key=lambda r: (order[r[3]], order[r[0]], order[r[1]], order[r[2]]))


def _order(t: Term | None) -> tuple[int, str]:
    """SPARQL's ORDER BY for the terms of these rows: unbound first, then blank nodes, IRIs,
    and literals (by their text: the names of one column share their language)."""
    if t is None:
        return (0, "")
    return ({"bnode": 1, "uri": 2}.get(str(t[0]), 3), str(t[1]))


_ORDERS: dict[Term | None, tuple[int, str]] = {}  # each term's, made once per process


_TABLE = ("CREATE TABLE {name} (iri TEXT NOT NULL, lang TEXT NOT NULL, sections TEXT NOT NULL, "
          "PRIMARY KEY (iri, lang)) WITHOUT ROWID")


def _write_rows(path: Path, base: str, quads: list[Quad], extra: list[Triple],
                changed: list[Triple] | None = None) -> None:
    """Every thing's rows (its sections as JSON, per language) into a new file, from the
    model's quads and the store's other triples (``extra``); with ``changed``, only those of
    the things they can alter (``reached``), listed in its table ``reached``."""
    triples = joins.used_triples(quads, extra)
    only = None if changed is None else reached(triples, changed)
    found = sections(triples, base, only)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute(_TABLE.format(name="related"))
        if only is not None:
            con.execute("CREATE TABLE reached (iri TEXT PRIMARY KEY) WITHOUT ROWID")
            con.executemany("INSERT INTO reached VALUES (?)",
                            sorted((str(t[1]),) for t in only if t[0] == "uri"))
        con.executemany("INSERT INTO related VALUES (?, ?, ?)", (
            (iri, lang, json.dumps(s, ensure_ascii=False, separators=(",", ":")))
            for (iri, lang), s in sorted(found.items())))
        con.commit()
    finally:
        con.close()


class Pending:
    """The ``related`` table, one row per thing and language with its sections as JSON,
    computed by a forked process into its own file beside the read model while the caller
    goes on (in this process when there is one core); ``into`` waits for it and writes the
    rows: all of them into a new read model, only those that changed into a rebuild's copy of
    the previous one."""

    def __init__(self, base: str, quads: list[Quad], extra: list[Triple], beside: Path,
                 changed: list[Triple] | None = None):
        self.part = beside.with_name(f".{beside.name}.related-{os.getpid()}")
        self.part.unlink(missing_ok=True)
        self.worker = Forked(_write_rows, self.part, base, quads, extra, changed)

    def into(self, con: sqlite3.Connection) -> None:
        self.worker.result()  # what the worker raised is raised here
        con.commit()
        con.execute("ATTACH DATABASE ? AS part", (str(self.part),))
        try:
            partial_rows = con.execute("SELECT 1 FROM part.sqlite_master WHERE name = "
                                       "'reached'").fetchone() is not None
            if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'related'").fetchone():
                # the rows gone: of every thing, or of the things the changes reached
                con.execute("DELETE FROM related WHERE NOT EXISTS (SELECT 1 FROM part.related "
                            "AS p WHERE p.iri = related.iri AND p.lang = related.lang)"
                            + (" AND iri IN (SELECT iri FROM part.reached)" if partial_rows
                               else ""))
                con.execute("INSERT OR REPLACE INTO related SELECT p.iri, p.lang, p.sections "
                            "FROM part.related AS p LEFT JOIN related AS r ON r.iri = p.iri "
                            "AND r.lang = p.lang WHERE r.sections IS NOT p.sections")
            else:
                con.execute(_TABLE.format(name="related"))
                con.execute("INSERT INTO related SELECT * FROM part.related")
            con.commit()
        finally:
            con.execute("DETACH DATABASE part")
            self.close()

    def close(self) -> None:
        """Stop the worker (if still running) and remove its file."""
        self.worker.close()
        self.part.unlink(missing_ok=True)
