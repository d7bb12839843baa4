"""Entity pages: a thing's description for people, in their language, with what it is linked to
two steps away (a city's partner organisations and the cities it collaborates with; a project's
grant, programme, coordinator, partners and cities), and schema.org JSON-LD for search engines."""

from __future__ import annotations

from functools import partial
from typing import Any

import pyoxigraph as ox

from icc_graph import jsonld
from icc_graph.backends import Query, QueryResult

from .context import ctx

ICC = "https://w3id.org/icc-graph/def/icc#"
P = f"PREFIX icc: <{ICC}> "
SCHEMA = "http://schema.org/"
LABEL = """OPTIONAL { ?x icc:name|icc:title ?label . FILTER(lang(?label) = "{lang}") }
OPTIONAL { ?x icc:name|icc:title ?en . FILTER(lang(?en) = "en") }"""

# kind -> [(heading, SELECT ?x ?note WHERE { ... <THIS> ... })]
RELATED: dict[str, list[tuple[str, str]]] = {
    "city": [
        ("Partner organisations", "?p icc:place <THIS> . ?part icc:participationIn ?p ; "
                                  "icc:agent ?x . ?x a icc:Organisation"),
        ("Cities it collaborates with", "{ ?p icc:place <THIS> , ?x } UNION "
         "{ ?a icc:agent <THIS> ; icc:participationIn ?pj . ?b icc:participationIn ?pj ; "
         "icc:agent ?x } UNION { ?p icc:place <THIS> ; icc:relatedProject ?pj . "
         "?b icc:participationIn ?pj ; icc:agent ?x } UNION { ?p icc:place <THIS> . "
         "?a icc:participationIn ?p ; icc:agent ?o . ?o a icc:Organisation . "
         "?b icc:agent ?o ; icc:participationIn ?q . ?q icc:place ?x } "
         "?x a icc:City . FILTER(?x != <THIS>)"),
        ("Projects", "{ ?a icc:agent <THIS> ; icc:participationIn ?x . ?x a icc:Project } "
                     "UNION { ?p icc:place <THIS> ; icc:relatedProject ?x }"),
    ],
    "org": [
        ("Practices", "?a icc:agent <THIS> ; icc:participationIn ?x . ?x a icc:GoodPractice"),
        ("Projects", "?a icc:agent <THIS> ; icc:participationIn ?x ; icc:role ?r . "
                     "?x a icc:Project . ?r <http://www.w3.org/2000/01/rdf-schema#label> ?note "
                     "FILTER(lang(?note) = 'en')"),
        ("Cities", "?a icc:agent <THIS> ; icc:participationIn ?p . ?p icc:place ?x . "
                   "?x a icc:City"),
    ],
    "project": [
        ("Grant", "<THIS> icc:grant ?x"),
        ("Funding programme", "{ <THIS> icc:fundingProgramme ?x } UNION "
                              "{ <THIS> icc:grant/icc:programme ?x }"),
        ("Who took part", "?a icc:participationIn <THIS> ; icc:agent ?x ; icc:role ?r . "
                          "?r <http://www.w3.org/2000/01/rdf-schema#label> ?note "
                          "FILTER(lang(?note) = 'en')"),
        ("Cities involved", "{ ?a icc:participationIn <THIS> ; icc:agent ?x . ?x a icc:City } "
                            "UNION { ?a icc:participationIn <THIS> ; icc:agent ?o . "
                            "?o icc:basedIn ?x } UNION { ?p icc:relatedProject <THIS> ; "
                            "icc:place ?x . ?x a icc:City }"),
        ("Practices", "?x icc:relatedProject <THIS>"),
    ],
    "programme": [
        ("Grants", "?x icc:programme <THIS>"),
        ("Projects", "{ ?x icc:fundingProgramme <THIS> } UNION { ?x icc:grant/icc:programme "
                     "<THIS> }"),
        ("Practices", "{ ?x icc:fundingProgramme <THIS> } UNION { ?x icc:relatedProject ?pj . "
                      "{ ?pj icc:fundingProgramme <THIS> } UNION { ?pj icc:grant/icc:programme "
                      "<THIS> } } ?x a icc:GoodPractice"),
    ],
    "grant": [("Projects", "?x icc:grant <THIS>"),
              ("Practices", "?x icc:relatedProject/icc:grant <THIS>")],
    "country": [("Cities", "?x icc:locatedIn <THIS>"),
                ("Practices", "?x icc:country <THIS> ; a icc:GoodPractice")],
    "topic": [("Practices", "?x icc:topic <THIS>")],
    "practice": [
        ("Who took part", "?a icc:participationIn <THIS> ; icc:agent ?x ; icc:role ?r . "
                          "?r <http://www.w3.org/2000/01/rdf-schema#label> ?note "
                          "FILTER(lang(?note) = 'en')"),
        ("Projects", "<THIS> icc:relatedProject ?x"),
    ],
}
RELATED["place"] = RELATED["city"]


def related(kind: str, iri: str, lang: str) -> list[dict[str, Any]]:
    from .resources import local

    sections = []
    for heading, pattern in RELATED.get(kind, []):
        q = (P + "SELECT DISTINCT ?x ?note ?label ?en WHERE { " + pattern.replace("<THIS>",
             f"<{iri}>") + " " + LABEL.replace("{lang}", lang) + " } ORDER BY ?en ?x LIMIT 500")
        result: QueryResult = ctx().cache.get_or_make(
            ("related", q), partial(_run, q), lambda _: 0)
        items = []
        for x, note, label, en in result.rows:
            if x is None:
                continue
            text = (label or en or ("", x[1]))[1]
            items.append({"href": local(str(x[1])), "text": text or x[1],
                          "note": note[1] if note else None})
        if items:
            sections.append({"heading": heading, "items": items})
    return sections


def _run(q: str) -> QueryResult:
    return ctx().backend.query(Query(q), ctx().settings.query_timeout)


def schema_org(triples: list[ox.Triple], iri: str, title: str) -> str:
    """A small schema.org JSON-LD object for the page head, safe inside <script>."""
    data: dict[str, Any] = {"@id": iri, "name": title}
    types, same, urls = [], [], []
    for t in triples:
        if getattr(t.subject, "value", None) != iri:
            continue
        p, o = t.predicate.value, getattr(t.object, "value", "")
        if p.endswith("#type") and o.startswith(SCHEMA):
            types.append(o[len(SCHEMA):])
        elif p == "http://www.w3.org/2002/07/owl#sameAs":
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
