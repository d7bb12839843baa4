"""SPARQL query results (SELECT and ASK) in the four standard formats.

Rows are plain tuples so that they cross process boundaries: a term is ``("uri", iri)``,
``("bnode", id)`` or ``("literal", text, datatype or None, language or None)``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

Term = tuple[str | None, ...]
Row = tuple[Term | None, ...]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# name -> media type
SELECT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
ASK_FORMATS = {"json": SELECT_FORMATS["json"], "xml": SELECT_FORMATS["xml"]}


def _json_term(t: Term) -> dict[str, str]:
    if t[0] == "uri":
        return {"type": "uri", "value": str(t[1])}
    if t[0] == "bnode":
        return {"type": "bnode", "value": str(t[1])}
    out = {"type": "literal", "value": str(t[1])}
    if t[3]:
        out["xml:lang"] = str(t[3])
    elif t[2] and t[2] != XSD_STRING:
        out["datatype"] = str(t[2])
    return out


def _xml_term(t: Term) -> str:
    if t[0] == "uri":
        return f"<uri>{escape(str(t[1]))}</uri>"
    if t[0] == "bnode":
        return f"<bnode>{escape(str(t[1]))}</bnode>"
    attrs = ""
    if t[3]:
        attrs = f" xml:lang={quoteattr(t[3])}"
    elif t[2] and t[2] != XSD_STRING:
        attrs = f" datatype={quoteattr(t[2])}"
    return f"<literal{attrs}>{escape(str(t[1]))}</literal>"


def _tsv_term(t: Term) -> str:
    if t[0] == "uri":
        return f"<{t[1]}>"
    if t[0] == "bnode":
        return f"_:{t[1]}"
    text = str(t[1]).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    text = text.replace("\r", "\\r").replace("\t", "\\t")
    if t[3]:
        return f'"{text}"@{t[3]}'
    if t[2] and t[2] != XSD_STRING:
        return f'"{text}"^^<{t[2]}>'
    return f'"{text}"'


def select(variables: Sequence[str], rows: Sequence[Row], fmt: str) -> bytes:
    if fmt == "json":
        bindings = [{v: _json_term(t) for v, t in zip(variables, row, strict=True) if t}
                    for row in rows]
        return json.dumps({"head": {"vars": list(variables)},
                           "results": {"bindings": bindings}}, ensure_ascii=False).encode()
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>", *(f"<variable name={quoteattr(v)}/>" for v in variables), "</head>",
               "<results>"]
        for row in rows:
            out.append("<result>")
            out += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                    for v, t in zip(variables, row, strict=True) if t]
            out.append("</result>")
        out += ["</results>", "</sparql>"]
        return "\n".join(out).encode()
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([(f"_:{t[1]}" if t[0] == "bnode" else str(t[1])) if t else ""
                             for t in row])
        return buf.getvalue().encode()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(_tsv_term(t) if t else "" for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(fmt)


def ask(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>").encode()
    raise ValueError(fmt)
