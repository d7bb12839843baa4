"""The linked-data server: a read-only Flask app over a release.

``create_app(settings=None, backend=None)`` is the only way to make it. Production:
``gunicorn 'server:create_app()'`` (see README); one person: ``icc-graph serve``.
"""

from __future__ import annotations

import weakref

from flask import Flask

from icc_graph.release import STORE_DIR
from icc_graph.store import Backend, open_backend

from . import browse, collaborations, dumps, errors, http, resources, sparql
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
    release = ReleaseInfo.read(settings.release)
    if backend is None:
        backend = open_backend(settings.release / STORE_DIR, settings.sparql_endpoint,
                               settings.query_workers, settings.worker_memory_mib)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    limits = ClientLimits(settings.client_concurrency, settings.trusted_proxies)
    app.extensions["icc"] = Context(settings, backend, release,
                                    Cache(settings.cache_size, settings.cache_bytes), limits)
    weakref.finalize(app, backend.close)
    http.init_app(app)
    errors.init_app(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(collaborations.bp)
    app.register_blueprint(dumps.bp)
    app.register_blueprint(resources.bp)
    return app


def close_app(app: Flask) -> None:
    """End the app's backend (its query workers) now rather than when the process ends."""
    context: Context = app.extensions["icc"]
    context.backend.close()
