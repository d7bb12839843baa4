"""SPARQL query results (SELECT and ASK): written in the four standard formats from rows of
plain terms (see ``protocol.Term``), and read back from SPARQL JSON. The embedded backend has
pyoxigraph write users' SELECT answers (``SELECT_OX``); rows are written here for the remote
backend, for the rare text ``row_cap`` cannot read, and for ASK (CSV and TSV as Jena does)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ..formats import for_form
from .protocol import QueryResult, Row, Term

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
# media type -> writer name, from the one format table
SELECT_TYPES = {f.media_type: f.name for f in for_form("select")}
ASK_TYPES = {f.media_type: f.name for f in for_form("ask")}
# pyoxigraph's writers
SELECT_OX = {f.media_type: f.ox_format for f in for_form("select")
             if isinstance(f.ox_format, ox.QueryResultsFormat)}


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
    word = "true" if value else "false"
    if fmt == "csv":  # one column named _askResult, as Jena writes it
        return f"_askResult\r\n{word}\r\n".encode()
    if fmt == "tsv":  # the same as TSV: a variable's name after "?", lines ended by LF
        return f"?_askResult\n{word}\n".encode()
    raise ValueError(fmt)


def write(result: QueryResult, media_type: str) -> bytes:
    """A SELECT or ASK result in the results format of ``media_type``."""
    if result.kind == "ask":
        return ask(result.boolean, ASK_TYPES[media_type])
    return select(result.variables, result.rows, SELECT_TYPES[media_type])


def _from_json(binding: dict[str, str] | None) -> Term | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return ("uri", binding["value"])
    if kind == "bnode":
        return ("bnode", binding["value"])
    # SPARQL 1.1 JSON says "literal"; older writers (Virtuoso) say "typed-literal", and write
    # booleans as 1 and 0, which are read here in their canonical form
    value, datatype = binding["value"], binding.get("datatype")
    if datatype == XSD_BOOLEAN and value in ("0", "1"):
        value = "true" if value == "1" else "false"
    return ("literal", value, datatype, binding.get("xml:lang"))


def read_json(body: bytes, max_rows: int | None = None) -> QueryResult:
    """Parse SPARQL JSON results (SELECT or ASK)."""
    data = json.loads(body)
    if "boolean" in data:
        return QueryResult("ask", boolean=bool(data["boolean"]))
    variables = tuple(data["head"].get("vars", []))
    bindings = data["results"]["bindings"]
    truncated = max_rows is not None and len(bindings) > max_rows
    if truncated:
        bindings = bindings[:max_rows]
    rows = tuple(tuple(_from_json(b.get(v)) for v in variables) for b in bindings)
    return QueryResult("select", variables, rows, truncated=truncated)
