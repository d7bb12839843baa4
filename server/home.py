"""The home page: the dataset's numbers, its overview figures and its schema.org Dataset."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, render_template

from .context import ctx
from .dataset import dataset_script
from .frame import language

bp = Blueprint("home", __name__)


@bp.route("/")
def home() -> Response:
    from . import overview
    from .browse import value_key
    from .catalogue import catalogue

    cat, lang = catalogue(), language()
    fig = overview.figures(cat, cat.selection({}), lang, lambda facet, v: "/practices?" + urlencode(
        {facet: value_key(facet, v)}), "home")
    response = Response(render_template("home.html", counts=_counts(), fig=fig,
                                        jsonld=dataset_script()),
                        mimetype="text/html")
    response.vary.add("Accept-Language")
    return response


def _counts() -> list[tuple[str, int]]:
    """How many things of each kind the graph holds (the numbers a SPARQL count gives), from
    the read model."""
    read = ctx().read
    assert read is not None  # catalogue() has answered 503 for a release without one
    return [(key, int(n)) for key, n in read.execute("SELECT key, count FROM cat_count ORDER BY n")]
