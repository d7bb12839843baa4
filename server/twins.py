"""A list and its twins: every page that lists things (the practices, the collaborations) is
served as HTML, JSON and CSV, chosen by the path's extension (``/practices.csv``) or else by
``Accept``; a client that accepts none of the three gets the same 406 on every such page, and
every answer varies on ``Accept``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence

from flask import Response, current_app, jsonify

from . import negotiation
from .errors import Problem

MEDIA = {"text/html": "html", "application/json": "json", "text/csv": "csv"}
EXTENSIONS = ("json", "csv")


def chosen(path: str, ext: str | None) -> str:
    """"html", "json" or "csv" for a request of the list at ``path`` (e.g. "/practices")."""
    if ext is None:
        media = negotiation.best(list(MEDIA))
        if media is None:
            raise Problem(406, f"{path} is served as text/html, application/json or text/csv "
                               f"(or ask for {path}.json or {path}.csv)",
                          {"Vary": "Accept"})
        return MEDIA[media]
    if ext not in EXTENSIONS:
        raise Problem(404, f"the list is served as {path}, {path}.json or {path}.csv")
    return ext


class JsonText(str):
    """A JSON document already written, as ``jsonify`` writes it (with ``dumps``)."""


def dumps(value: object) -> str:
    """``value`` as the app's JSON provider writes a response: its options (keys sorted,
    non-ASCII as it is), compact."""
    return current_app.json.dumps(value, separators=(",", ":"))


def _compact() -> bool:
    provider = current_app.json
    compact = getattr(provider, "compact", None)
    return bool(compact or (compact is None and not current_app.debug))


def respond(kind: str, html: Callable[[], str], data: Callable[[], object],
            header: Sequence[str], rows: Callable[[], Iterable[Sequence[object]]]) -> Response:
    """The list in the chosen format: the page, the JSON document (``data()``'s value, or
    the text it gives as ``JsonText``), or the CSV table."""
    if kind == "json":
        value = data()
        if isinstance(value, JsonText) and _compact():
            response = Response(f"{value}\n", mimetype="application/json")
        else:  # an object, or a debug app's indented JSON
            response = jsonify(json.loads(value) if isinstance(value, JsonText) else value)
    elif kind == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows())
        response = Response(buf.getvalue(), mimetype="text/csv")
    else:
        response = Response(html(), mimetype="text/html")
    response.vary.add("Accept")
    return response
