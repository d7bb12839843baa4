"""What every page shares: links to our IRIs on this host, the reader's language, the words and
switch of the page frame, and the cookie that keeps the language chosen."""

from __future__ import annotations

from flask import Blueprint, Response, request

from . import i18n
from .context import ctx

bp = Blueprint("frame", __name__)


def local(iri: str) -> str:
    """The path of one of our IRIs on this server (so links work on any host)."""
    return local_to(ctx().settings.base_iri, iri)


def local_to(base: str, iri: str) -> str:
    """``local`` with the base IRI given, for a page that makes many links."""
    return "/" + iri[len(base):] if iri.startswith(base) else iri


def language() -> str:
    """The reader's language: ?lang=, the switch's cookie, else Accept-Language."""
    return i18n.language()


@bp.app_context_processor
def interface() -> dict[str, object]:
    """What every page's frame needs: the language, its words, the switch, the release."""
    lang = language()

    def words(key: str, **values: object) -> str:
        text = i18n.translate(key, lang)
        return text.format(**values) if values else text

    return {"lang": lang, "_": words, "languages": i18n.LANGUAGES,
            "switch_url": i18n.switch_url, "release": ctx().release,
            "base_iri": ctx().settings.base_iri}


@bp.after_app_request
def remember_language(response: Response) -> Response:
    """The switch's choice is kept in a cookie; pages in several languages vary on it."""
    if request.environ.get("QUERY_STRING"):
        chosen = request.args.get("lang")
        if chosen in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
    if response.headers.get("Content-Type", "").startswith("text/html"):
        response.vary.add("Cookie")
    return response
