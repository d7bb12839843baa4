"""The linked-data server: a read-only Flask app over a release.

``create_app(settings=None, store=None)`` is the only way to make it. Production:
``gunicorn -w 4 'server:create_app()'``; one person: ``icc-graph serve``.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Flask

from icc_graph.backends import Backend, EmbeddedBackend
from icc_graph.release import STORE_DIR

from . import browse, collaborations, dumps, errors, http, reconcile, resources, search, sparql
from .cache import Cache
from .context import Context, ReleaseInfo
from .settings import Settings


def create_app(settings: Settings | None = None, store: ox.Store | None = None) -> Flask:
    """Make the app. ``store`` (an in-memory pyoxigraph store, for tests) replaces the release's
    store; ``settings`` default to the ``ICC_*`` environment variables."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    backend: Backend
    if store is not None:
        backend = EmbeddedBackend(store=store, workers=settings.query_workers)
    elif settings.sparql_endpoint:
        from icc_graph.remote import RemoteBackend

        backend = RemoteBackend(settings.sparql_endpoint)
    else:
        backend = EmbeddedBackend(path=settings.release / STORE_DIR,
                                  workers=settings.query_workers)
    app.extensions["icc"] = Context(settings, backend, ReleaseInfo.read(settings.release),
                                    Cache(settings.cache_size))
    http.init_app(app)
    errors.init_app(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(collaborations.bp)
    app.register_blueprint(dumps.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(reconcile.bp)
    app.register_blueprint(search.bp)
    return app
