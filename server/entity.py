"""Entity pages: a thing's document for people, in their language, with what it is linked to
two steps away (its related sections, computed when the release was built: see
``icc_graph.readmodel.related``), a locator map for places and countries, and schema.org
JSON-LD for search engines."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlencode

from flask import render_template
from markupsafe import Markup, escape

from icc_graph.iri import is_web_iri
from icc_graph.namespaces import PREFIXES
from icc_graph.readmodel.related import RELATED, items, page_query
from icc_graph.store import Query, Row, Term, Triple, jsonld

from . import maps, negotiation, overview
from .context import ctx
from .frame import local, local_to

ICC = "https://w3id.org/icc-graph/def/icc#"
SCHEMA = "http://schema.org/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
TWINS = (SCHEMA, LABEL, "http://www.w3.org/2004/02/skos/core#prefLabel")


# ---------------------------------------------------------------- related sections


def read_sections(iri: str, lang: str) -> list[dict[str, Any]]:
    """A thing's related sections from the read model."""
    read = ctx().read
    row = read.execute("SELECT sections FROM related WHERE iri = ? AND lang = ?",
                       (iri, lang)).fetchone() if read is not None and "related" in tables() \
        else None
    return _linked(json.loads(row[0])) if row else []


def query_sections(kind: str, iri: str, lang: str) -> list[dict[str, Any]]:
    """A thing's related sections asked of the backend, one query a section (a release
    without a read model)."""
    found = []
    for heading, pattern, _ in RELATED.get(kind, []):
        q = page_query(pattern, iri, lang)
        rows = ctx().cache.get_or_make(("related", q), partial(_rows, q), lambda _: 0)
        listed = items(list(rows))
        if listed:
            found.append({"heading": heading, "items": listed})
    return _linked(found)


def _rows(text: str) -> tuple[Row, ...]:
    return ctx().backend.query(Query(text), ctx().settings.query_timeout).rows


def _linked(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sections with a link on this host for each item."""
    base = ctx().settings.base_iri
    for s in sections:
        for item in s["items"]:
            item["href"] = local_to(base, item["iri"])
    return sections


# ---------------------------------------------------------------- the page


def label_of(labels: dict[str, list[Term]], node: Term,
             lang: str = "en") -> tuple[str, str | None] | None:
    """A node's label in the reader's language, else English, else any; with its language."""
    values = labels.get(str(node[1]), []) if node[0] == "uri" else []
    for wanted in (lang, "en"):
        for lit in values:
            if len(lit) > 3 and lit[3] == wanted:
                return str(lit[1]), wanted
    if not values:
        return None
    return str(values[0][1]), values[0][3] if len(values[0]) > 3 else None


def _twin(predicate: Term) -> bool:
    return str(predicate[1]).startswith(TWINS)


def once(triples: list[Triple], iri: str) -> list[Triple]:
    """A thing's triples with each value once: a value also stated by one of our own
    properties is not repeated under its materialised schema.org, rdfs or SKOS twin."""
    me = ("uri", iri)
    mine = [t for t in triples if t[0] == me]
    own = {o for _, p, o in mine if not _twin(p)}
    return [t for t in mine if not (_twin(t[1]) and t[2] in own)]


def page(triples: list[Triple], iri: str, path: str, kind: str | None, lang: str,
         sections: list[dict[str, Any]]) -> str:
    """The HTML page of a description (a thing's, or a graph the release holds)."""
    labels: dict[str, list[Term]] = defaultdict(list)
    for s, p, o in triples:
        if p == ("uri", LABEL) and o[0] == "literal" and s[0] == "uri":
            labels[str(s[1])].append(o)

    base = ctx().settings.base_iri

    def show(node: Term) -> dict[str, str | None]:
        value = str(node[1])
        if node[0] == "uri":
            href = local_to(base, value) if is_web_iri(value) else None
            found = label_of(labels, node, lang)
            return {"href": href, "text": found[0] if found else _short(value)}
        if node[0] == "literal":
            return {"href": None, "text": value,
                    "lang": str(node[3]) if len(node) > 3 and node[3] else None}
        return {"href": None, "text": f"_:{value}"}

    me = ("uri", iri)
    out = sorted(((show(p), show(o)) for _, p, o in once(triples, iri)),
                 key=lambda r: (r[0]["text"] or "", r[1]["text"] or ""))
    sections = [{**s, "html": _items(s["items"], lang)} for s in sections]
    pointing = [t for t in triples if t[2] == me and t[0] != me]
    own_subjects = {s for s, p, _ in pointing if not _twin(p)}
    inc = sorted(((show(s), show(p)) for s, p, _ in pointing
                  if not (_twin(p) and s in own_subjects)),
                 key=lambda r: (r[1]["text"] or "", r[0]["text"] or ""))
    title, title_lang = label_of(labels, me, lang) or (iri, None)
    twins = [(f.name, f"{path}.{f.extension}", f.media_type) for f in negotiation.GRAPH_FORMATS]
    query = f"SELECT ?property ?value WHERE {{\n  <{iri}> ?property ?value\n}}"
    mine = [(str(p[1]), str(o[1])) for s, p, o in triples if s == me]
    sources = [o for p, o in mine if p.endswith("#sourcePage") and is_web_iri(o)]
    wikidata = [o for p, o in mine if p == SAME_AS and is_web_iri(o)]
    period = [o for p, o in mine if p.endswith("#periodText")]
    return render_template(
        "resource.html", title=title, iri=iri, out=out, inc=inc, twins=twins, lang=lang,
        path=path, sections=sections, out_rows=_out_rows(out), inc_rows=_inc_rows(inc),
        has={f: any((p["href"] or "").endswith("#" + f) for p, _ in out)
             for f in ("topic", "startYear")},
        jsonld=schema_org(triples, iri, title) if kind else None,
        query_url="/sparql?" + urlencode({"query": query}), sources=sources,
        wikidata=wikidata, period=period, title_lang=title_lang,
        locator=locator(triples, iri, kind, title) if kind in ("city", "place", "country")
        else None)


def _value(v: dict[str, str | None]) -> str:
    """A term of a table: its name, a link where it has a page."""
    text = escape(v["text"])
    return f'<a href="{escape(v["href"])}">{text}</a>' if v["href"] else str(text)


def _out_rows(out: list[tuple[dict[str, str | None], dict[str, str | None]]]) -> Markup:
    """The rows of the properties table: each property and its value, a literal with its
    language."""
    rows = []
    for p, o in out:
        lang = o.get("lang")
        if lang:
            code = escape(lang)
            rows.append(f'\n<tr><td>{_value(p)}</td><td lang="{code}">{_value(o)} '
                        f'<span class="muted">({code})</span></td></tr>')
        else:
            rows.append(f"\n<tr><td>{_value(p)}</td><td>{_value(o)}</td></tr>")
    return Markup("".join(rows))


def _inc_rows(inc: list[tuple[dict[str, str | None], dict[str, str | None]]]) -> Markup:
    """The rows of the table of what points here: each thing and its property."""
    return Markup("".join(f"\n<tr><td>{_value(s)}</td><td>{_value(p)}</td></tr>"
                          for s, p in inc))


def _items(items: list[dict[str, Any]], lang: str) -> Markup:
    """The list items of a related section: each thing linked, in its language when that is
    not the page's, with its note."""
    out = []
    for i in items:
        other = i.get("lang")
        attr = f' lang="{escape(other)}"' if other and other != lang else ""
        note = f" ({escape(i['note'])})" if i.get("note") else ""
        out.append(f'<li><a href="{escape(i["href"])}"{attr}>{escape(i["text"])}</a>{note}</li>\n')
    return Markup("".join(out))


@lru_cache(maxsize=4096)
def _short(value: str) -> str:
    """An IRI as prefix:local when a known prefix abbreviates it."""
    return next((f"{p}:{value[len(ns):]}" for p, ns in PREFIXES.items()
                 if value.startswith(ns)), value)


def schema_org(triples: list[Triple], iri: str, title: str) -> str:
    """A small schema.org JSON-LD object for the page head, safe inside <script>."""
    data: dict[str, Any] = {"@id": iri, "name": title}
    types, same, urls = [], [], []
    for s, pred, obj in triples:
        if s != ("uri", iri):
            continue
        p, o = str(pred[1]), str(obj[1])
        if p.endswith("#type") and o.startswith(SCHEMA):
            types.append(o[len(SCHEMA):])
        elif p == SAME_AS:
            same.append(o)
        elif p == f"{ICC}sourcePage":
            urls.append(o)
    if types:
        data["@type"] = sorted(types)
    if same:
        data["sameAs"] = [{"@id": o} for o in sorted(same)]
    if urls:
        data["isBasedOn"] = [{"@id": o} for o in sorted(urls)]
    return jsonld.script(data)  # the project's one context, embedded: nothing remote


# ---------------------------------------------------------------- the locator map


def _places(iri: str, kind: str | None) -> list[tuple[str, str, float, float]]:
    """The places a locator draws: a city (or a country's cities) as (IRI, English label,
    lat, long), from the read model's places."""
    read = ctx().read
    where = "country = ?" if kind == "country" else "iri = ?"
    if read is not None and "places" in tables():
        rows = read.execute(f"SELECT iri, label, lat, long FROM places WHERE {where} "
                            "ORDER BY iri", (iri,)).fetchall()
        return [(str(r[0]), str(r[1]), float(r[2]), float(r[3])) for r in rows]
    located = overview.coordinates()  # a release without a read model: ask the backend
    if kind == "country":
        return [(p, p.rsplit("/", 1)[-1], lat, long)
                for p, (lat, long, c) in sorted(located.items()) if c == iri]
    return [(iri, "", *located[iri][:2])] if iri in located else []


def tables() -> set[str]:
    """The tables of the release's read model (none without one)."""
    found = ctx().memo.get("read-model-tables")
    if not isinstance(found, set):
        read = ctx().read
        found = {str(r[0]) for r in read.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")} if read is not None else set()
        ctx().memo["read-model-tables"] = found
    return found


def locator(triples: list[Triple], iri: str, kind: str | None,
            title: str) -> dict[str, object] | None:
    """A small map placing a city (or a country's cities), its country marked."""
    if kind == "country":
        code = iri.rsplit("/", 1)[-1]
    else:
        country = next((str(o[1]) for s, p, o in triples
                        if s == ("uri", iri) and str(p[1]).endswith("#locatedIn")), "")
        code = country.rsplit("/", 1)[-1]
    points = [maps.Point(p, title if p == iri else label, lat, long, 0,
                         "" if p == iri else local(p))
              for p, label, lat, long in _places(iri, kind)]
    if not points and code not in maps.NUMERIC:
        return None
    frame = maps.frame_for(points, small=True)
    svg = maps.svg(points, frame, f"{title}: location", highlight=[code], labels=1,
                   element_id="locator")
    return {"svg": svg, "points": [(p.label, p.lat, p.long) for p in points]}
