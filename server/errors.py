"""One place that turns errors into HTTP responses: HTML for browsers, JSON or plain text for
programs. Messages say what was wrong and what to do; tracebacks are never sent."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from icc_graph.federation import ServiceRefused
from icc_graph.formats import for_form
from icc_graph.iri import IriError
from icc_graph.release import ReleaseError
from icc_graph.store import (
    BackendError,
    NotAcceptable,
    QueryCrashed,
    QueryError,
    QueryTimeout,
    QueryTooLarge,
)

from .negotiation import wants_html

log = logging.getLogger(__name__)


class Problem(Exception):
    """An error with its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def respond(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    accept = request.accept_mimetypes
    if wants_html():
        response = Response(render_template("error.html", status=status, message=message),
                            status=status, mimetype="text/html")
    elif accept.best_match(["application/json", "application/sparql-results+json",
                            "text/plain"]) in ("application/json",
                                               "application/sparql-results+json"):
        response = jsonify({"status": status, "error": message})
        response.status_code = status
    else:
        response = Response(message + "\n", status=status, mimetype="text/plain")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return respond(exc.status, exc.message, exc.headers)

    @app.errorhandler(QueryError)
    def _syntax(exc: QueryError) -> Response:
        return respond(400, f"the query is not valid SPARQL: {exc}")

    @app.errorhandler(QueryTimeout)
    def _timeout(exc: QueryTimeout) -> Response:
        return respond(503, f"{exc}; simplify the query or add a LIMIT", {"Retry-After": "5"})

    @app.errorhandler(QueryTooLarge)
    def _memory(exc: QueryTooLarge) -> Response:
        return respond(503, str(exc), {"Retry-After": "5"})

    @app.errorhandler(QueryCrashed)
    def _crashed(exc: QueryCrashed) -> Response:
        return respond(400, str(exc))

    @app.errorhandler(NotAcceptable)
    def _not_acceptable(exc: NotAcceptable) -> Response:
        kind = {"select": "SELECT results", "ask": "ASK results",
                "graph": "CONSTRUCT and DESCRIBE results"}[exc.form]
        return respond(406, f"{kind} cannot be given in a format the request accepts; accept "
                            f"(or give as format=) one of: "
                            f"{', '.join(f.media_type for f in for_form(exc.form))}")

    @app.errorhandler(BackendError)
    def _backend(exc: BackendError) -> Response:
        log.error("store error: %s", exc)
        return respond(503, f"the store cannot answer now: {exc}", {"Retry-After": "30"})

    @app.errorhandler(ServiceRefused)
    def _service(exc: ServiceRefused) -> Response:
        return respond(400, str(exc))

    @app.errorhandler(IriError)
    def _iri(exc: IriError) -> Response:
        return respond(400, str(exc))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return respond(413, f"the request body is larger than this server accepts ({limit} "
                            "bytes, setting ICC_MAX_BODY_BYTES): send a shorter query")

    @app.errorhandler(ReleaseError)
    def _release(exc: ReleaseError) -> Response:
        log.error("release error: %s", exc)
        return respond(503, f"the release cannot be read: {exc}", {"Retry-After": "60"})

    @app.errorhandler(FileNotFoundError)
    def _missing(exc: FileNotFoundError) -> Response:
        log.error("missing release file: %s", exc)
        return respond(503, "a file of the release is missing on the server; it has been "
                            "logged, and is back once the release is rebuilt",
                       {"Retry-After": "60"})

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = respond(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.response is None:
            allowed = getattr(exc, "valid_methods", None)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return respond(500, "an unexpected error happened on the server; it has been logged")
