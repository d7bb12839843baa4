"""What every page shares: links to our IRIs on this host, the reader's language, the words and
switch of the page frame, and the cookie that keeps the language chosen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request
from markupsafe import Markup

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


def _words(lang: str) -> Callable[..., str]:
    def words(key: str, **values: object) -> str:
        text = i18n.translate(key, lang)
        return text.format(**values) if values else text

    return words


@dataclass(frozen=True)
class Parts:
    """The frame's parts that depend only on the language and the release (``_frame.html``):
    the header up to the language switch, the rest of the header with the site's menu, and the
    footer."""

    top: Markup
    nav: Markup
    footer: Markup


def parts(lang: str) -> Parts:
    """The frame's fixed parts in ``lang``, made once per app and language."""
    memo = ctx().memo
    key = f"frame-{lang}"
    found = memo.get(key)
    if not isinstance(found, Parts):
        module = current_app.jinja_env.get_template("_frame.html").make_module(
            {"_": _words(lang), "release": ctx().release, "base_iri": ctx().settings.base_iri})
        found = memo[key] = Parts(*(Markup(getattr(module, name)())
                                    for name in ("top", "nav", "footer")))
    return found


@bp.app_context_processor
def interface() -> dict[str, object]:
    """What every page's frame needs: the language, its words, the switch, the release, and
    the frame's fixed parts."""
    lang = language()
    return {"lang": lang, "_": _words(lang), "languages": i18n.LANGUAGES,
            "switch_url": i18n.switch_url, "release": ctx().release,
            "base_iri": ctx().settings.base_iri, "frame": parts(lang)}


@bp.after_app_request
def remember_language(response: Response) -> Response:
    """The switch's choice is kept in a cookie; an answer that read the reader's language
    (a page, a list's JSON or CSV with its labels) varies on the cookie and Accept-Language."""
    if request.environ.get("QUERY_STRING"):
        chosen = request.args.get("lang")
        if chosen in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
    if i18n.READ_KEY in request.environ:  # the answer read the language
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    elif response.headers.get("Content-Type", "").startswith("text/html"):
        response.vary.add("Cookie")
    return response
