"""The linked-data server: a read-only Flask app over a release.

``create_app(settings=None, backend=None)`` is the only way to make it. Production:
``gunicorn 'server:create_app()'`` (see README); one person: ``icc-graph serve``.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from flask import Flask

from icc_graph.readmodel import open_read_model
from icc_graph.release import STORE_DIR, check_store_version, open_release, store_version_query
from icc_graph.store import Backend, Query, StoreError, open_backend

from . import (
    browse,
    collaborations,
    documents,
    dumps,
    errors,
    frame,
    home,
    http,
    reconcile,
    search,
    sparql,
    vocabulary,
)
from .cache import Cache
from .context import Context, ReleaseInfo
from .limits import ClientLimits
from .settings import Settings


def create_app(settings: Settings | None = None, backend: Backend | None = None) -> Flask:
    """Make the app. ``settings`` default to the ``ICC_*`` environment variables; ``backend``
    defaults to the one the settings name (the release's embedded store, or the external
    endpoint of ``ICC_SPARQL_ENDPOINT``). The app owns its backend: it is kept in
    ``app.extensions["icc"]`` and closed when the app goes (``close_app``) or the process
    ends."""
    settings = settings or Settings.from_env()
    folder = open_release(settings.release)  # one version, resolved once: never mixed
    release = ReleaseInfo.read(folder)
    if backend is None:
        backend = open_backend(folder / STORE_DIR, settings.sparql_endpoint,
                               settings.query_workers, settings.worker_memory_mib,
                               settings.query_store)
        if settings.sparql_endpoint:
            _check_store(backend, folder, settings)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    limits = ClientLimits(settings.client_concurrency, settings.trusted_proxies)
    app.extensions["icc"] = Context(settings, backend, release,
                                    Cache(settings.cache_size, settings.cache_bytes), limits,
                                    open_read_model(folder))
    weakref.finalize(app, backend.close)
    http.init_app(app)
    errors.init_app(app)
    app.register_blueprint(frame.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(collaborations.bp)
    app.register_blueprint(dumps.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(vocabulary.bp)
    app.register_blueprint(reconcile.bp)
    app.register_blueprint(search.bp)
    # documents in a named format skip Flask (documents.Lane); everything else goes through
    app.wsgi_app = documents.Lane(app.wsgi_app, app.extensions["icc"])  # type: ignore[method-assign]
    return app


def _check_store(backend: Backend, folder: Path, settings: Settings) -> None:
    """Refuse to serve a release folder beside an external store that holds another version."""
    from icc_graph.release import ReleaseError

    try:
        rows = backend.query(Query(store_version_query(settings.base_iri))).rows
    except StoreError as exc:
        backend.close()
        raise ReleaseError(f"the store at {settings.sparql_endpoint} cannot be asked which "
                           f"release it holds: {exc}") from None
    versions = [str(row[0][1]) for row in rows if row[0]]
    try:
        check_store_version(folder, versions, str(settings.sparql_endpoint))
    except ReleaseError:
        backend.close()
        raise


def close_app(app: Flask) -> None:
    """End the app's backend (its query workers) now rather than when the process ends."""
    context: Context = app.extensions["icc"]
    context.backend.close()
    context.limits.close()
