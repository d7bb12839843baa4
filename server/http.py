"""Cross-cutting HTTP behaviour: CORS on everything, gzip when asked, caching headers, the
security headers (a Content-Security-Policy on HTML pages, nosniff, Referrer-Policy) and the
request-body limit."""

from __future__ import annotations

import datetime as dt
import gzip

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .errors import Problem

COMPRESSIBLE = ("text/", "application/sparql-results", "application/ld+json", "application/json",
                "application/n-triples", "application/rdf+xml", "application/trig",
                "application/xml")
EXPOSED = ("ETag, Link, Location, Content-Location, Content-Range, Content-Disposition, "
           "Repr-Digest, Retry-After, Warning, X-Result-Limit, X-Result-Truncated")
# pages load nothing from elsewhere, run no inline script or style, and may not be framed
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
REFERRER_POLICY = "strict-origin-when-cross-origin"
# what every answer but an HTML page and a preflight carries from ``_security`` and ``_cors``
# (the documents' lane, server/documents.py, sends them as they are)
FIXED = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", REFERRER_POLICY),
         ("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED))


def init_app(app: Flask) -> None:
    from .settings import Settings

    limit = getattr(app.extensions.get("icc"), "settings", Settings()).max_body_bytes
    app.config["MAX_CONTENT_LENGTH"] = limit  # werkzeug answers 413 beyond it
    app.config["MAX_FORM_MEMORY_SIZE"] = limit  # one form field (a query=) may be as long
    app.before_request(_bounded_body)
    app.after_request(_finish)


def _finish(response: Response) -> Response:
    """Every answer's last step, in one hook (each hook costs a call through Flask on every
    request): compressed when asked, then the security and CORS headers."""
    return _cors(_security(_gzip(response)))


def check_preconditions(etag: str, last_modified: dt.datetime | None) -> None:
    """RFC 9110, 13.2.2, steps 1 and 2: a short 412 (with the current ETag) when the
    request's If-Match fails (compared strongly; ``*`` holds for any current representation)
    or, without If-Match, its If-Unmodified-Since is before ``last_modified``. Both are then
    taken out of the request, so that werkzeug (which refuses ``*``, and answers a Range
    before them) does not judge them again."""
    if _failed(etag, last_modified):
        raise Problem(412, "precondition failed: the current representation is not the one "
                           "the request's If-Match or If-Unmodified-Since names; fetch it "
                           "again (its ETag is in this answer)", {"ETag": f'"{etag}"'})


def _failed(etag: str, last_modified: dt.datetime | None) -> bool:
    environ = request.environ
    if "HTTP_IF_MATCH" in environ:
        holds = request.if_match.contains(etag)
        del environ["HTTP_IF_MATCH"]
        environ.pop("HTTP_IF_UNMODIFIED_SINCE", None)
        return not holds
    if "HTTP_IF_UNMODIFIED_SINCE" in environ:
        since = request.if_unmodified_since
        del environ["HTTP_IF_UNMODIFIED_SINCE"]
        return since is not None and last_modified is not None and \
            last_modified.replace(microsecond=0) > since
    return False


def range_beside_none_match(etag: str) -> None:
    """A Range sent with an If-None-Match that holds (the client's copy is current) is set
    aside, so that the answer is 304 (RFC 9110, 13.2.2: step 3 before step 5)."""
    environ = request.environ
    if "HTTP_RANGE" in environ and "HTTP_IF_NONE_MATCH" in environ and \
            request.if_none_match.contains_weak(etag):
        del environ["HTTP_RANGE"]


def _bounded_body() -> None:
    """A body sent without Content-Length (chunked) is read here: werkzeug would cut it at the
    limit without a word, and the query would be answered on a truncated text."""
    if request.content_length is None and "chunked" in request.headers.get(
            "Transfer-Encoding", "").lower():
        try:
            request.get_data(cache=True)  # at most the limit
            more = request.stream.read(1)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the HTTP server's reader raises
            # (gunicorn: InvalidChunkSize, ChunkMissingTerminator, NoMoreData): the body is
            # the client's to mend, never a server error
            raise Problem(400, f"the chunked request body is malformed ({type(exc).__name__}): "
                               "send each chunk as its size in hexadecimal, CRLF, the bytes, "
                               "CRLF, and end with a chunk of size 0, or send Content-Length",
                          {"Connection": "close"}) from None  # the rest cannot be read
        if more:  # more is there: werkzeug raises 413
            raise RequestEntityTooLarge()


def _security(response: Response) -> Response:
    """nosniff and Referrer-Policy everywhere; the CSP on HTML unless the page set its own (a
    page meant to be embedded, such as the reconciliation preview card)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if (response.mimetype or "").startswith(("text/html", "application/xhtml")) \
            and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = CSP
    return response


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            request.headers.get("Access-Control-Request-Headers")
            or "Accept, Content-Type, If-None-Match, If-Modified-Since, Range")
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _gzip(response: Response) -> Response:
    """Compressed when Accept-Encoding gives gzip (or ``*``) a quality above 0."""
    if ("Accept-Encoding" not in request.headers
            or request.accept_encodings.quality("gzip") <= 0
            or response.direct_passthrough or response.status_code != 200
            or "Content-Encoding" in response.headers
            or not (response.mimetype or "").startswith(COMPRESSIBLE)):
        return response
    body = response.get_data()
    if len(body) < 512:
        return response
    response.set_data(gzip.compress(body, compresslevel=5, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-gzip", weak=bool(weak))
        if request.if_none_match:  # the client may hold the gzipped twin: answer 304 for it
            response.make_conditional(request)
    return response
