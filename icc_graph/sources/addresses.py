"""Addresses of the ICC site: the canonical form of a page's URL, and the slug of a detail page
(``.../-/<slug>``, or the old form ``.../-/asset_publisher/<id>/content/<slug>``)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from ..names import slugify
from ..records import SLUG

# a detail page: ".../-/<slug>", or the old form ".../-/asset_publisher/<id>/content/<slug>"
_DETAIL_SLUG = re.compile(r"/-/(?:asset_publisher/[^/]+/content/)?([^/?#]+)")


def canonical_url(url: str) -> str:
    """The page itself: a language-switch URL gives its redirect target; portal noise goes."""
    parts = urlsplit(url.strip())
    host = parts.netloc
    if host == "coe.int":
        host = "www.coe.int"
    scheme = "https" if host.endswith("coe.int") else parts.scheme
    if "/c/portal/update_language" in parts.path:
        redirect = parse_qs(parts.query).get("redirect", [None])[0]
        if redirect:
            return canonical_url(f"https://www.coe.int{redirect}")
    path = parts.path.rstrip("/") if _DETAIL_SLUG.search(parts.path) else parts.path
    if _DETAIL_SLUG.search(parts.path):
        query = ""
    else:
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "p_l_id"])
    return urlunsplit((scheme, host, path, query, ""))


def detail_slug(url: str) -> str | None:
    match = _DETAIL_SLUG.search(urlsplit(url).path)
    if not match or "coe.int" not in urlsplit(url).netloc or match.group(1) == "asset_publisher":
        return None
    slug = match.group(1).strip("-").lower()
    return slug if SLUG.match(slug) else slugify(slug)
