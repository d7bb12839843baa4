"""Dereferenceable IRIs: /id/... answers 303 See Other to its document /doc/..., which is served
as HTML or RDF by Accept, by extension, or by ?format=.

Documents come from the release's read model, ready to send in every format: nothing is
queried or serialised per request. A release folder without one (built before the read model
existed) is served from the backend instead: each document described and serialised once per
process, as the server did before.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from werkzeug.http import http_date
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Response as BaseResponse

from icc_graph.formats import BY_EXTENSION, Format
from icc_graph.iri import FORBIDDEN
from icc_graph.model import KINDS
from icc_graph.readmodel import ReadModelError
from icc_graph.store import Description, Triple, jsonld, write_triples
from icc_graph.store.documents import incoming_query

from . import entity, negotiation
from .context import Context, ctx
from .errors import Problem
from .frame import language
from .http import FIXED, check_preconditions, range_beside_none_match

bp = Blueprint("documents", __name__)
EXTENSIONS = ("ttl", "nt", "rdf", "jsonld")


def split_extension(name: str) -> tuple[str, Format | None]:
    stem, dot, ext = name.rpartition(".")
    if dot and ext in EXTENSIONS:
        return stem, BY_EXTENSION[ext]
    return name, None


def check_slug(text: str) -> None:
    """A 400 for an address no IRI of ours can have: characters an IRI cannot hold (spaces,
    controls, CR/LF, <, ", ...) or bytes that are not UTF-8."""
    bad = FORBIDDEN.search(text)
    if bad or "\ufffd" in text:
        what = f"the character {bad.group()!r}" if bad else "bytes that are not UTF-8"
        raise Problem(400, f"this address holds {what}, which no IRI of this dataset contains: "
                           "check the address, or find things with /practices or /sparql")


@bp.route("/id/<kind>/<slug>")
def thing(kind: str, slug: str) -> BaseResponse:
    check_slug(kind + slug)
    if kind not in KINDS:
        raise Problem(404, f"there are no things of kind '{kind}'; kinds: {', '.join(KINDS)}")
    iri = f"{ctx().settings.base_iri}id/{kind}/{slug}"
    if not known(iri):  # a 404 here, not a 303 to a document that is one
        raise Problem(404, f"nothing is known about <{iri}>: check the address, or search "
                           "with the SPARQL endpoint at /sparql")
    return see_other(f"/doc/{kind}/{slug}")


def see_other(document: str) -> BaseResponse:
    """303 See Other from an IRI to the document that describes it: the twin the client's
    Accept chooses (``Vary: Accept``), or the document with the request's ``?format=``, which
    the document reads (and says which names it knows)."""
    asked = request.args.get("format")
    if asked:
        target = document + "?" + urlencode({"format": asked})
    else:
        media = negotiation.best(["text/html", *negotiation.GRAPH_TYPES])
        if media is None:
            raise Problem(406, "accept text/html or one of: "
                          + ", ".join(negotiation.GRAPH_TYPES))
        target = document if media == "text/html" else \
            f"{document}.{negotiation.BY_MEDIA[media].extension}"
    response = redirect(target, code=303)
    response.vary.add("Accept")
    return response


# ---------------------------------------------------------------- where documents come from


@dataclass
class Document:
    """A thing's document as the server has it: its validator, its cut, and (fetched only when
    asked) its triples and its bytes in one format."""

    iri: str
    tag: str  # what changes when the document changes (the read model's digest)
    more_incoming: bool
    cap: int
    triples: Callable[[], list[Triple]]
    body: Callable[[Format], bytes]
    sections: Callable[[str], list[dict[str, object]]] = field(default=lambda lang: [])


def known(iri: str) -> bool:
    """Whether the release has a document for ``iri``. Without a read model (a release built
    before it) every IRI is taken as known, and its document says 404 when it is not."""
    read = ctx().read
    if read is None or "documents" not in entity.tables():
        return True
    return read.execute("SELECT 1 FROM documents WHERE iri = ?", (iri,)).fetchone() is not None


def find(iri: str, fmt: Format | None) -> Document | None:
    """The document of one of our things, or None when nothing is known of it."""
    read = ctx().read
    if read is not None and "documents" in entity.tables():
        column = fmt.name if fmt is not None else "triples"
        row = read.execute(f"SELECT digest, more_incoming, cap, {column} FROM documents "
                           "WHERE iri = ?", (iri,)).fetchone()
        if row is None:
            return None
        digest, more, cap, value = row
        return Document(iri, digest, bool(more), cap, partial(_triples, value),
                        lambda _fmt: bytes(value), partial(entity.read_sections, iri))
    doc: Description = ctx().cache.get_or_make(
        ("describe", iri), lambda: ctx().backend.describe(iri),
        lambda value: 200 * len(value.triples))
    if not doc:
        return None
    kind = iri[len(ctx().settings.base_iri) + 3:].split("/", 1)[0]
    return Document(iri, str(len(doc.triples)), doc.more_incoming, doc.cap,
                    lambda: list(doc.triples), partial(_written, iri, doc),
                    partial(entity.query_sections, kind, iri))


def _triples(value: bytes) -> list[Triple]:
    """The triples of the read model's ``triples`` column (JSON, compressed with zlib)."""
    return [(tuple(s), tuple(p), tuple(o))
            for s, p, o in json.loads(zlib.decompress(value))]


def _written(iri: str, doc: Description, fmt: Format) -> bytes:
    return ctx().cache.get_or_make(("body", iri, fmt.name),
                                   lambda: write_triples(list(doc.triples), fmt.media_type), len)


@bp.route("/doc/<kind>/<name>")
def document(kind: str, name: str) -> Response:
    check_slug(kind + name)
    slug, fmt = split_extension(name)
    iri = f"{ctx().settings.base_iri}id/{kind}/{slug}"
    path = f"/doc/{kind}/{slug}"
    refused: Problem | None = None
    if fmt is None and request.args.get("format"):
        try:
            fmt = requested_format()
        except Problem as problem:
            refused = problem
    negotiated = fmt is None and refused is None
    if negotiated:
        try:
            fmt = negotiated_format()
        except Problem as problem:  # an unknown thing is a 404 whatever the client accepts
            refused = problem
    doc = find(iri, fmt) if kind in KINDS else None
    if doc is None:
        raise Problem(404, f"nothing is known about <{iri}>: check the address, or search "
                           "with the SPARQL endpoint at /sparql")
    if refused is not None:
        raise refused
    if fmt is None:
        lang = language()
        found = doc
        html = ctx().cache.get_or_make(
            ("html", path, lang), lambda: entity.page(found.triples(), iri, path, kind, lang,
                                                     found.sections(lang)), len)
        response = Response(html, mimetype="text/html")
        response.headers["Vary"] = "Accept-Language"
    else:
        response = Response(doc.body(fmt), mimetype=fmt.media_type)
    finish(response, path, fmt, doc.tag, negotiated, cut(iri, doc.cap) if doc.more_incoming
           else None)
    return conditional(response)


def cut(iri: str, cap: int) -> tuple[str, int]:
    """Where a document whose incoming links were cut at ``cap`` says the rest can be had."""
    return "/sparql?" + urlencode({"query": incoming_query(iri)}), cap


# ---------------------------------------------------------------- any graph, negotiated


def requested_format() -> Format:
    """The format of ``?format=``; a 406 naming the choices for an unknown one."""
    fmt = negotiation.graph_format(request.args["format"])
    if fmt is None:
        raise Problem(406, f"unknown format '{request.args['format']}'; use one of: "
                           + ", ".join(EXTENSIONS))
    return fmt


def negotiated_format() -> Format | None:
    """The format Accept chooses; None for HTML; a 406 when it accepts none of them."""
    media = negotiation.best(["text/html", *negotiation.GRAPH_TYPES])
    if media is None:
        raise Problem(406, "accept text/html or one of: " + ", ".join(negotiation.GRAPH_TYPES))
    return negotiation.BY_MEDIA.get(media)


CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH",
               "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE")


def finish(response: Response, path: str, fmt: Format | None, tag: str,
           negotiated: bool, more: tuple[str, int] | None = None) -> None:
    """A description's validators, twins, Vary and caching headers (written as text: they are
    the same for every request of a path but the validator); ``more``: the query for the rest
    of the incoming links and where they were cut (see ``cut``)."""
    headers = response.headers
    for name, value in validators(ctx().release.version, _modified(), path,
                                  fmt.name if fmt else "html", tag, more):
        headers.add(name, value)
    vary = [v for v in (headers.get("Vary"), "Accept" if negotiated else None) if v]
    if vary:
        headers["Vary"] = ", ".join(vary)


def validators(version: str, modified: str, path: str, form: str, tag: str,
               more: tuple[str, int] | None) -> list[tuple[str, str]]:
    """The headers of a description at ``path`` in ``form`` (a format's name, or "html")
    that do not depend on the request: its ETag and Last-Modified, its twins in Link, how long
    it may be cached, and where its incoming links were cut."""
    etag = hashlib.sha256(f"{version}{path}{form}{tag}".encode()).hexdigest()[:32]
    link = ", ".join([f'<{path}.{f.extension}>; rel="alternate"; type="{f.media_type}"'
                      for f in negotiation.GRAPH_FORMATS]
                     + [f'<{path}>; rel="alternate"; type="text/html"'])
    if more is not None:
        link += f', <{more[0]}>; rel="related"; title="every incoming link"'
    found = [("ETag", f'"{etag}"'), ("Last-Modified", modified), ("Link", link),
             ("Cache-Control", "public, max-age=3600")]
    if more is not None:
        found.append(("X-Incoming-Links-Cut", str(more[1])))
    return found


def _modified() -> str:
    """The release's date as HTTP writes it (once per release)."""
    memo = ctx().memo
    found = memo.get("last-modified")
    if not isinstance(found, str):
        found = memo["last-modified"] = http_date(ctx().release.modified)
    return found


def conditional(response: Response) -> Response:
    """The answer to a conditional request (304 when the client's copy is current, a range
    when one is asked); the response as it is when the request carries no condition."""
    environ = request.environ
    if any(key in environ for key in CONDITIONAL):
        etag, _ = response.get_etag()
        if etag is not None:
            check_preconditions(etag, response.last_modified)
            range_beside_none_match(etag)
        return response.make_conditional(request)  # type: ignore[return-value]
    return response


def serve_graph(triples: list[Triple], iri: str, path: str, fmt: Format | None,
                html: Callable[[str], str] | None = None) -> Response:
    """A graph held by the release (the vocabulary, the shapes, the dataset description) in
    the format asked for, with its twins, validators and Vary; ``html(lang)`` makes its page
    for people (without one, HTML is the generic page of a description)."""
    if fmt is None and request.args.get("format"):
        fmt = requested_format()
    negotiated = fmt is None
    if negotiated:
        fmt = negotiated_format()
    if fmt is None:
        lang = language()
        make = (partial(html, lang) if html is not None
                else partial(entity.page, triples, iri, path, None, lang, []))
        response = Response(ctx().cache.get_or_make(("html", path, lang), make, len),
                            mimetype="text/html")
        response.vary.add("Accept-Language")
    else:
        chosen = fmt
        body = ctx().cache.get_or_make(("body", path, fmt.name),
                                       lambda: write_triples(triples, chosen.media_type), len)
        response = Response(body, mimetype=fmt.media_type)
    finish(response, path, fmt, str(len(triples)), negotiated)
    return conditional(response)


@bp.route(jsonld.CONTEXT_PATH)
def context() -> Response:
    """The one JSON-LD context of the documents, the dump and the pages' schema.org blocks."""
    response = Response(json.dumps(jsonld.context_document(), indent=1),
                        mimetype="application/ld+json")
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)  # type: ignore[return-value]




# ---------------------------------------------------------------- the documents' lane


_PASSED_BY = ("QUERY_STRING", "CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING")  # when not empty


def _compression(accepted: str) -> bool:
    """Whether an Accept-Encoding may ask for gzip (the app decides by its qualities)."""
    return "gzip" in accepted.lower() or "*" in accepted


class Lane:
    """WSGI middleware: the commonest request of a linked-data client, a document in a named
    format (``GET`` or ``HEAD /doc/<kind>/<slug>.<ext>``, no query string, no body, no
    condition, no compression asked), answered from the read model with the headers the
    ``document`` view gives it, without Flask's request, routing and hooks (about 0.2 ms of
    CPU of the 0.25 ms that view took). Anything else, a thing not in the read model or a
    read that fails, goes on to ``app`` as it came (tests/test_document_lane.py holds both
    ways to the same answers)."""

    def __init__(self, app: Callable[..., Any], context: Context):
        self.app, self.context = app, context
        read = context.read
        try:
            self.read = read if read is not None and read.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'documents'").fetchone() else None
        except (sqlite3.Error, ReadModelError):
            self.read = None
        self.prefix = f"{context.settings.base_iri}id/"
        self.modified = http_date(context.release.modified)
        self.types = {BY_EXTENSION[ext].name: get_content_type(BY_EXTENSION[ext].media_type,
                                                               "utf-8") for ext in EXTENSIONS}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        found = self._answer(environ) if self.read is not None else None
        if found is None:
            return self.app(environ, start_response)
        status, headers, body = found
        start_response(status, headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        path: str = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or \
                not path.startswith("/doc/") or \
                any(environ.get(key) for key in _PASSED_BY) or \
                any(key in environ for key in CONDITIONAL) or \
                _compression(environ.get("HTTP_ACCEPT_ENCODING", "")) or \
                not path.isascii() or FORBIDDEN.search(path):
            return None
        parts = path[5:].split("/")
        if len(parts) != 2 or parts[0] not in KINDS:
            return None
        slug, fmt = split_extension(parts[1])
        if fmt is None or not slug:
            return None
        content_type = self.types[fmt.name]
        iri = f"{self.prefix}{parts[0]}/{slug}"
        try:
            row = self.read.execute(  # type: ignore[union-attr]
                f"SELECT digest, more_incoming, cap, {fmt.name} FROM documents WHERE iri = ?",
                (iri,)).fetchone()
        except (sqlite3.Error, ReadModelError):
            return None  # the app reports it
        if row is None:
            return None
        digest, more, cap, value = row
        body = bytes(value)
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
                   *validators(self.context.release.version, self.modified,
                               f"/doc/{parts[0]}/{slug}", fmt.name, digest,
                               cut(iri, cap) if more else None),
                   *FIXED]
        return "200 OK", headers, body
