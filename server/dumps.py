"""The release files at /dumps/ (listing with sizes, dates and SHA-256; files with their media
type, ETag and range requests) and the dataset description at /.well-known/void."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.wrappers import Response as BaseResponse

from icc_graph.formats import BY_EXTENSION, for_path
from icc_graph.release import MARKER

from . import negotiation
from .context import ctx
from .documents import see_other, serve_graph
from .errors import Problem
from .http import check_preconditions, range_beside_none_match

bp = Blueprint("dumps", __name__)


def _sums() -> dict[str, str]:
    """Every downloadable file and its SHA-256: the files SHA256SUMS lists, and SHA256SUMS."""
    release = ctx().release
    if not release.sums:
        return {}
    sums = ctx().memo.get("sums")
    if not isinstance(sums, dict):
        marker = hashlib.sha256(_path(MARKER).read_bytes()).hexdigest()
        sums = ctx().memo["sums"] = {**release.sums, MARKER: marker}
    assert isinstance(sums, dict)
    return sums


def _path(name: str) -> Path:
    return ctx().release.path.absolute() / name


def _files() -> list[dict[str, object]]:
    out = []
    for name, sha in sorted(_sums().items()):
        path = _path(name)
        stat = path.stat()
        out.append({
            "name": name, "url": f"/dumps/{name}", "bytes": stat.st_size, "sha256": sha,
            "media_type": _media_type(name),
            "modified": dt.datetime.fromtimestamp(int(stat.st_mtime), tz=dt.UTC).isoformat(),
        })
    return out


def _media_type(name: str) -> str:
    if name.endswith(".gz"):
        return "application/gzip"
    if name == "SHA256SUMS":
        return "text/plain"
    if name.endswith(".json"):
        return "application/json"
    fmt = for_path(name)
    return fmt.media_type if fmt else "application/octet-stream"


@bp.route("/dumps/")
def listing() -> Response:
    files = _files()
    media = negotiation.best(["text/html", "application/json"])
    if media == "application/json":
        response = jsonify({"version": ctx().release.version, "files": files})
    elif media == "text/html":
        response = Response(render_template("dumps.html", files=files,
                                            version=ctx().release.version), mimetype="text/html")
    else:
        raise Problem(406, "the listing is served as text/html or application/json")
    response.vary.add("Accept")
    return response


@bp.route("/dumps/<name>")
def dump(name: str) -> Response:
    sha = _sums().get(name)
    if sha is None:  # only the files of the release: nothing else can be reached from here
        raise Problem(404, f"there is no dump '{name}'; see /dumps/ for the list")
    path = _path(name)
    modified = dt.datetime.fromtimestamp(int(path.stat().st_mtime), dt.UTC)
    check_preconditions(sha, modified)
    range_beside_none_match(sha)
    _ranges_read_as_rfc_9110_says()
    try:
        response = send_file(path, mimetype=_media_type(name), etag=sha,
                             conditional=True, max_age=3600, last_modified=None)
    except RequestedRangeNotSatisfiable:
        size = path.stat().st_size
        raise Problem(416, f"the range asked for is not within the file's {size} bytes: ask "
                           f"for bytes within 0-{size - 1}, or for the whole file without "
                           "Range", {"Content-Range": f"bytes */{size}"}) from None
    digest = base64.b64encode(bytes.fromhex(sha)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530: the file's checksum
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"' \
        if name.endswith(".gz") else f'inline; filename="{name}"'
    return response


def _ranges_read_as_rfc_9110_says() -> None:
    """Set aside a Range header the file is served whole for (RFC 9110, 14.2): a unit other
    than bytes (which must be ignored), a malformed one, several ranges (no multipart answer
    here). What is left is one byte range, answered 206 or 416."""
    environ = request.environ
    asked = environ.get("HTTP_RANGE")
    if asked is None:
        return
    parsed = parse_range_header(asked)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        del environ["HTTP_RANGE"]


@bp.route("/.well-known/void")
@bp.route("/.well-known/void.<ext>")
def void(ext: str | None = None) -> Response:
    if not ctx().release.void:
        raise Problem(404, "this server runs without a release description")
    fmt = BY_EXTENSION.get(ext) if ext else None
    if ext and (fmt is None or fmt.dataset):
        raise Problem(404, f"the dataset description is not served as .{ext}; "
                           "try .ttl, .nt, .rdf or .jsonld")
    if fmt is None:
        fmt = negotiation.graph_format(request.args.get("format"))
    return serve_graph(list(ctx().release.void), f"{ctx().settings.base_iri}dataset",
                       "/.well-known/void", fmt)


@bp.route("/dataset")
@bp.route("/dataset/<path:part>")
def dataset(part: str = "") -> BaseResponse:
    """The dataset's IRI and those of the parts its description names (class and property
    partitions, linksets): 303 See Other to that description, as /id/ answers for a thing."""
    iri = f"{ctx().settings.base_iri}dataset" + (f"/{part}" if part else "")
    if not any(t[0] == ("uri", iri) for t in ctx().release.void):
        raise Problem(404, f"the dataset description says nothing of <{iri}>: see "
                           "/.well-known/void")
    return see_other("/.well-known/void")
