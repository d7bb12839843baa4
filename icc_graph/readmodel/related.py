"""The entity pages' related sections: what a thing is linked to two steps away (a city's
practices, partner organisations and the cities it collaborates with; a project's grant,
programme, partners and cities; ...), in each language of the pages.

Each section is a SPARQL pattern about ``<THIS>``. The build runs each pattern once for every
thing at the same time (``<THIS>`` becomes the variable ``?this``) over the release's store,
and keeps, per thing and language, the first ``LIMIT`` rows in the order a page would show
them; ``page_query`` is the same pattern for one thing, as a page once asked it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any, NamedTuple

from ..namespaces import ICC_IRI
from ..store import Row
from ..store.embedded import select_whole
from . import Source

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
    """A related section: its heading, its pattern about ``<THIS>``, and (where the planner
    needs it) the same pattern written for every thing at once, about ``?this``."""

    heading: str
    pattern: str
    whole: str | None = None


WHO = f"?a icc:participationIn <THIS> ; icc:agent ?x ; icc:role ?r . {ROLE}"
CITY = [
    Section("Practices", "?x icc:place <THIS> ; a icc:GoodPractice"),
    Section("Partner organisations", "?p icc:place <THIS> . ?part icc:participationIn ?p ; "
            "icc:agent ?x . ?x a icc:Organisation"),
    # the collaboration rule (docs/model.md): a shared practice, the same project as
    # participants, or taking part in the other's practice; never "documented under"
    Section("Cities it collaborates with", f"{{ {_COLLABORATION} }} ?x a icc:City . "
            "FILTER(?x != <THIS>)",
            # for every city at once, the pairs first: joined the other way round, the
            # planner starts from every city and runs the union once for each
            "{ SELECT DISTINCT ?this ?x WHERE { " + _COLLABORATION.replace("<THIS>", "?this")
            + " } } ?x a icc:City . FILTER(?x != ?this)"),
    Section("Projects it takes part in", "?a icc:agent <THIS> ; icc:participationIn ?x . "
            "?x a icc:Project"),
    Section("Projects its practices are documented under",
            "?p icc:place <THIS> ; icc:relatedProject ?x"),
]
RELATED: dict[str, list[Section]] = {
    "city": CITY,
    "place": CITY,
    "org": [
        Section("Practices", "?a icc:agent <THIS> ; icc:participationIn ?x . "
                "?x a icc:GoodPractice"),
        Section("Projects", "?a icc:agent <THIS> ; icc:participationIn ?x ; icc:role ?r . "
                f"?x a icc:Project . {ROLE}"),
        Section("Cities", "?a icc:agent <THIS> ; icc:participationIn ?p . ?p icc:place ?x . "
                "?x a icc:City"),
    ],
    "project": [
        Section("Grant", "<THIS> icc:grant ?x"),
        Section("Funding programme", "{ <THIS> icc:fundingProgramme ?x } UNION "
                "{ <THIS> icc:grant/icc:programme ?x }"),
        Section("Who took part", WHO),
        Section("Cities taking part", "?a icc:participationIn <THIS> ; icc:agent ?x . "
                "?x a icc:City"),
        Section("Cities where its participants are based", "?a icc:participationIn <THIS> ; "
                "icc:agent ?o . ?o icc:basedIn ?x"),
        Section("Practices documented under it", "?x icc:relatedProject <THIS>"),
    ],
    "programme": [
        Section("Grants", "?x icc:programme <THIS>"),
        Section("Projects", "{ ?x icc:fundingProgramme <THIS> } UNION "
                "{ ?x icc:grant/icc:programme <THIS> }"),
        Section("Practices", "{ ?x icc:fundingProgramme <THIS> } UNION "
                "{ ?x icc:relatedProject ?pj . { ?pj icc:fundingProgramme <THIS> } UNION "
                "{ ?pj icc:grant/icc:programme <THIS> } } ?x a icc:GoodPractice"),
    ],
    "grant": [Section("Projects", "?x icc:grant <THIS>"),
              Section("Practices", "?x icc:relatedProject/icc:grant <THIS>")],
    "country": [Section("Cities", "?x icc:locatedIn <THIS>"),
                Section("Practices", "?x icc:country <THIS> ; a icc:GoodPractice")],
    "topic": [Section("Practices", "?x icc:topic <THIS>")],
    "practice": [
        Section("Who took part", WHO),
        Section("Documented under project", "<THIS> icc:relatedProject ?x"),
    ],
}


def page_query(pattern: str, iri: str, lang: str) -> str:
    """A section's query for one thing, as an entity page asked it before the read model."""
    return (P + "SELECT DISTINCT ?x ?note ?label ?en WHERE { " + pattern.replace(
        "<THIS>", f"<{iri}>") + " " + LABEL.replace("{lang}", lang)
        + " } ORDER BY ?en ?x LIMIT " + str(LIMIT))


def whole_query(pattern: str, lang: str) -> str:
    """A section's query for every thing at once (``?this``), in the page's order within
    each thing."""
    return (P + "SELECT DISTINCT ?this ?x ?note ?label ?en WHERE { "
            + pattern.replace("<THIS>", "?this") + " " + LABEL.replace("{lang}", lang)
            + " } ORDER BY ?this ?en ?x")


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


def sections(store: Path, base: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(thing IRI, language) -> its sections (heading and items), in the pages' order; things
    without any item have no entry."""
    jobs = []  # (kinds, position, heading, lang)
    texts = []
    shared: dict[int, tuple[list[Section], list[str]]] = {}
    for kind, patterns in RELATED.items():  # kinds that share their patterns run them once
        shared.setdefault(id(patterns), (patterns, []))[1].append(kind)
    for patterns, kinds in shared.values():
        prefixes = tuple(f"{base}id/{k}/" for k in kinds)
        for position, section in enumerate(patterns):
            for lang in LANGUAGES:
                jobs.append((prefixes, position, section.heading, lang))
                texts.append(whole_query(section.whole or section.pattern, lang))
    found: dict[tuple[str, str], dict[int, dict[str, Any]]] = defaultdict(dict)
    for (prefixes, position, heading, lang), (_, rows) in zip(
            jobs, select_whole(store, texts), strict=True):
        per: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            this = row[0]
            if this is not None and this[0] == "uri" and str(this[1]).startswith(prefixes):
                per[str(this[1])].append(row[1:])
        for iri, its in per.items():
            listed = items(its)
            if listed:
                found[(iri, lang)][position] = {"heading": heading, "items": listed}
    return {key: [by[i] for i in sorted(by)] for key, by in found.items()}


def write(con: sqlite3.Connection, source: Source) -> int:
    """The ``related`` table: one row per thing and language with its sections as JSON."""
    con.execute("CREATE TABLE related (iri TEXT NOT NULL, lang TEXT NOT NULL, "
                "sections TEXT NOT NULL, PRIMARY KEY (iri, lang)) WITHOUT ROWID")
    found = sections(source.store, source.base)
    con.executemany("INSERT INTO related VALUES (?, ?, ?)",
                    ((iri, lang, json.dumps(s, ensure_ascii=False, separators=(",", ":")))
                     for (iri, lang), s in sorted(found.items())))
    return len(found)
