"""Cross-cutting HTTP behaviour: CORS on everything, gzip when asked, and caching headers."""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

COMPRESSIBLE = ("text/", "application/sparql-results", "application/ld+json", "application/json",
                "application/n-triples", "application/rdf+xml", "application/trig",
                "application/xml")
EXPOSED = "ETag, Link, Location, Content-Location, X-Result-Limit, X-Result-Truncated"


def init_app(app: Flask) -> None:
    app.after_request(_cors)
    app.after_request(_gzip)


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
    if (response.direct_passthrough or response.status_code != 200
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")
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
