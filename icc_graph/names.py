"""Names: slugs, normalised forms for matching, and a gazetteer of the names already in the data."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_ARTICLES = {"the", "la", "le", "les", "l", "il", "el", "lo", "der", "die", "das", "de", "a", "an"}
_ENGLISH = {"the", "and", "of", "in", "for", "to", "a", "an", "with", "on", "as", "by", "from",
            "city", "its", "how", "all", "our", "project", "through", "is", "be", "it"}
_FRENCH = {"le", "la", "les", "des", "du", "de", "et", "pour", "une", "un", "dans", "sur", "à",
           "l", "d", "aux", "ville", "met", "jour", "son"}


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def slugify(text: str, max_length: int = 80) -> str:
    """A stable slug: ASCII lower-case words joined by single hyphens, cut at a word boundary."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text).replace("ß", "ss")).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "unnamed"


_MUNICIPALITY_OF = re.compile(
    r"^(?:municipality|city|comune|municipalite|ville|commune|gemeinde|stadt) (?:of|di|de|d) (.+)$")


def normalise(name: str) -> str:
    """The form two names are compared in: no case, accents, quotes, punctuation or articles;
    "Municipality of X", "Comune di X", "Ville de X" and "X municipality" compare equal."""
    words = re.findall(r"[a-z0-9]+", fold(name))
    text = " ".join(words)
    m = _MUNICIPALITY_OF.match(text)
    if m:
        text = f"{m.group(1)} municipality"
    return " ".join(w for w in text.split() if w not in _ARTICLES)


def guess_language(text: str, page_language: str) -> str:
    """English unless the words say French (the catalogue's titles are mostly English)."""
    words = set(re.findall(r"[a-zà-ÿ]+", text.casefold().replace("’", " ").replace("'", " ")))
    en, fr = len(words & _ENGLISH), len(words & _FRENCH)
    if page_language == "fr" and fr > en:
        return "fr"
    return "en"


class Gazetteer:
    """Maps the normalised names of known things to their slugs; ambiguous names map to none."""

    def __init__(self) -> None:
        self._slugs: dict[str, set[str]] = {}

    def add(self, slug: str, names: Iterable[str | None]) -> None:
        for name in names:
            if name:
                self._slugs.setdefault(normalise(name), set()).add(slug)
                # the plain form too, so that "the city of X" is found inside running text
                plain = " ".join(w for w in re.findall(r"[a-z0-9]+", fold(name))
                                 if w not in _ARTICLES)
                self._slugs.setdefault(plain, set()).add(slug)

    def add_new(self, slug: str, names: Iterable[str]) -> None:
        """Add only the names no record uses yet: other names never make a known name
        ambiguous."""
        fresh = [n for n in names if n and normalise(n) not in self._slugs]
        self.add(slug, fresh)

    def find(self, name: str) -> str | None:
        found = self._slugs.get(normalise(name), set())
        return next(iter(found)) if len(found) == 1 else None

    def __contains__(self, name: str) -> bool:
        return self.find(name) is not None

    def names_in(self, text: str) -> list[str]:
        """Slugs of the things whose whole name occurs in the text as words, longest first."""
        return list(dict.fromkeys(slug for _, slug, _ in self.mentions(text)))

    def mentions(self, text: str) -> list[tuple[int, str, str]]:
        """(length, slug, name) of every known name found in the text, longest first; a name
        inside a longer name that was found is not counted again."""
        words = " " + " ".join(w for w in re.findall(r"[a-z0-9]+", fold(text))
                               if w not in _ARTICLES) + " "
        found = []
        for name, slugs in sorted(self._slugs.items(), key=lambda x: -len(x[0])):
            if len(slugs) != 1 or len(name) <= 3:
                continue
            needle = f" {name} "
            while needle in words:
                found.append((len(name), next(iter(slugs)), name))
                words = words.replace(needle, " # ", 1)
        return found
