"""Entity pages: a thing's description for people, in their language, with what it is linked to
two steps away (a city's partner organisations and the cities it collaborates with; a project's
grant, programme, coordinator, partners and cities), and schema.org JSON-LD for search engines."""

from __future__ import annotations

from functools import partial
from typing import Any

from icc_graph.store import Query, QueryResult, Triple, jsonld

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
        # the collaboration rule (docs/model.md): a shared practice, the same project as
        # participants, or taking part in the other's practice; never "documented under"
        ("Cities it collaborates with", "{ ?p a icc:GoodPractice ; icc:place <THIS> , ?x } "
         "UNION { ?a icc:agent <THIS> ; icc:participationIn ?pj . ?b icc:participationIn ?pj ; "
         "icc:agent ?x } UNION { ?p a icc:GoodPractice ; icc:place <THIS> . "
         "?b icc:participationIn ?p ; icc:agent ?x } UNION { ?a icc:agent <THIS> ; "
         "icc:participationIn ?p . ?p a icc:GoodPractice ; icc:place ?x } "
         "?x a icc:City . FILTER(?x != <THIS>)"),
        ("Projects it takes part in", "?a icc:agent <THIS> ; icc:participationIn ?x . "
                                      "?x a icc:Project"),
        ("Projects its practices are documented under",
         "?p icc:place <THIS> ; icc:relatedProject ?x"),
    ],
    "city-practices": [("Practices", "?x icc:place <THIS> ; a icc:GoodPractice")],
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
        ("Cities taking part", "?a icc:participationIn <THIS> ; icc:agent ?x . ?x a icc:City"),
        ("Cities where its participants are based", "?a icc:participationIn <THIS> ; "
                                                    "icc:agent ?o . ?o icc:basedIn ?x"),
        ("Practices documented under it", "?x icc:relatedProject <THIS>"),
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
        ("Documented under project", "<THIS> icc:relatedProject ?x"),
    ],
}
RELATED["city"] = RELATED.pop("city-practices") + RELATED["city"]
RELATED["place"] = RELATED["city"]


def related(kind: str, iri: str, lang: str) -> list[dict[str, Any]]:
    from .frame import local

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
            chosen = label or en
            text = chosen[1] if chosen else x[1]
            items.append({"href": local(str(x[1])), "text": text or x[1],
                          "lang": chosen[3] if chosen and len(chosen) > 3 else None,
                          "note": note[1] if note else None})
        if items:
            sections.append({"heading": heading, "items": items})
    return sections


def _run(q: str) -> QueryResult:
    return ctx().backend.query(Query(q), ctx().settings.query_timeout)


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
