"""Importing good-practice pages of the ICC site, saved as HTML or copied as text, into records.

A practice page gives its title (after "Back" in the page's language), an optional period or
"City, Country Years" line, the body sections, the places and organisations it names (matched to
the data folder's records), and often a closing sentence naming the project, its grant, its
funding programme and who implemented it. A list page gives entries of a title and a
"Country City Years" line, split with the gazetteer of the data folder. What cannot be decided
is reported for review, never guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .. import yamlio
from ..errors import DataError, rel
from ..loader import PRACTICES_DIR, read_records
from ..names import slugify
from ..periods import as_record, parse_period
from ..records import Records
from .addresses import canonical_url, detail_slug
from .nameindex import NameIndex
from .policy import Decision, decide

BACK = {"back": "en", "retour": "fr", "zurück": "de", "zuruck": "de", "indietro": "it",
        "atrás": "es", "volver": "es", "voltar": "pt", "takaisin": "fi", "atzealdea": "eu",
        "назад": "uk", "επιστροφή": "el", "nazad": "sr", "kthehu": "sq", "geri": "tr"}
SITE_LANGUAGES = ("en", "fr", "de", "it", "es", "pt", "fi", "eu", "uk", "el", "sr", "sq", "tr")
CHROME = re.compile(
    r"^(•\s*)?(diminuer la taille du texte|augmenter la taille du texte|imprimer la page|"
    r"imprimer en pdf|template for collection of good practices|modèle pour la collecte des "
    r"bonnes pratiques|filter by|filtrer par|topic|thème|countries|pays|year|année|"
    r"reset filter|réinitialiser le filtre|to get acquainted with cities.*covid.*|"
    r"pour prendre connaissance.*covid.*)\b", re.IGNORECASE)
SECTIONS = {
    "purpose": "purpose", "objectif": "purpose", "but": "purpose", "ziel": "purpose",
    "stimulus/rationale": "rationale", "rationale": "rationale", "stimulus": "rationale",
    "contexte/justification": "rationale", "justification": "rationale",
    "process": "process", "processus": "process", "impact": "impact",
    "key reference documents": "references", "documents de référence": "references",
    "documents de référence clés": "references",
}
PROJECT_SENTENCE = [
    re.compile(r"drafted in connection with the project (?P<project>.+?)\s*\(n\.?\s*(?P<grant>"
               r"[\w./-]+)\),\s*co-?funded by the (?P<programme>.+?) of the (?P<funder>.+?)"
               r"\s+and implemented by (?P<implementers>.+?)\.?\s*$", re.I | re.S),
    re.compile(r"dans le cadre du projet (?P<project>.+?)\s*\(n\.?\s*°?\s*(?P<grant>[\w./-]+)\),"
               r"\s*cofinancé par le (?P<programme>.+?) de la (?P<funder>.+?)\s+et mis en "
               r"œuvre par (?P<implementers>.+?)\.?\s*$", re.I | re.S),
]
IMPLEMENTER_SPLIT = re.compile(r",\s*|\s+together with\s+|\s+en collaboration avec\s+|"
                               r"\s+and\s+|\s+et\s+", re.I)
WITH = re.compile(r"\b(?:with|avec|mit|con|com)\s+(?:the\s+|la\s+|le\s+)?"
                  r"(?:city of\s+|ville de\s+)?([A-ZÀ-Ý][\w’'-]+(?:\s+[A-ZÀ-Ý][\w’'-]+)*)")
COORDINATED = re.compile(r"(\w[\w -]*?) and (\w[\w -]*?) ((?:police|fire) [a-z]+?)s\b", re.I)


class _Text(HTMLParser):
    """HTML to lines of text, one per block element; scripts, styles and menus dropped."""

    BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section",
              "article", "header", "footer", "ul", "ol", "table", "title"}
    SKIP = {"script", "style", "nav", "noscript", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.lang: str | None = None
        self.canonical: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html" and a.get("lang"):
            self.lang = (a["lang"] or "")[:2].lower()
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        if tag == "meta" and a.get("property") == "og:url":
            self.canonical = self.canonical or a.get("content")
        if tag in self.SKIP:
            self.skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


@dataclass
class Page:
    lines: list[str]
    lang: str | None = None
    url: str | None = None


def read_page(path: Path) -> Page:
    text = yamlio.read_text(path)
    if not text.strip():
        raise ValueError("the file is empty")
    if re.search(r"<(html|body|div|p|h1)\b", text, re.I):
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
        page = Page([], parser.lang, parser.canonical)
    else:
        page = Page([])
    page.lines = [re.sub(r"\s+", " ", html.unescape(ln)).strip() for ln in text.splitlines()]
    page.lines = [ln for ln in page.lines if ln]
    if page.url is None:
        m = re.search(r"https?://(www\.)?coe\.int/\S+", text)
        page.url = m.group(0).rstrip(").,") if m else None
    return page


@dataclass
class Found:
    """What one page gave, and what it left undecided."""

    record: dict[str, Any]
    project: dict[str, Any] | None = None
    review: list[str] = field(default_factory=list)


class Reader:
    def __init__(self, records: Records):
        self.r = records
        index = NameIndex.from_records(records)
        self.places, self.orgs, self.projects = (
            index["places"], index["organisations"], index["projects"])
        self.programmes, self.countries = index["programmes"], index["countries"]

    def practice(self, page: Page, source: str | None, facts_only: bool) -> Found:
        lines = [ln for ln in page.lines if not CHROME.match(ln)]
        back = next((i for i, ln in enumerate(lines) if ln.casefold().strip(" <>") in BACK), None)
        lang = BACK[lines[back].casefold().strip(" <>")] if back is not None else page.lang
        if back is None or back + 1 >= len(lines):
            raise ValueError("not a good-practice page: no 'Back' line followed by a title "
                             "(a list page has 'Country City Years' lines instead)")
        if lang not in SITE_LANGUAGES:
            raise ValueError(f"unknown language '{lang}': the page is in none of the site's "
                             "languages")
        title = lines[back + 1]
        body = lines[back + 2:]
        review: list[str] = []
        period = None
        if body and len(body[0]) < 90:
            p = parse_period(body[0])
            if p.start is not None or p.ongoing:
                period = as_record(p)
                body = body[1:]
        closing = None
        for pattern in PROJECT_SENTENCE:
            for sentence in body:
                m = pattern.search(sentence)
                if m:
                    closing = (sentence, m)
                    break
            if closing:
                break
        main_text = " ".join(b for b in body if not closing or b != closing[0])
        mentions = Counter(slug for _, slug, _ in self.places.mentions(f"{title} {main_text}"))
        places = [slug for slug, _ in mentions.most_common()]
        if not places:
            review.append("no place of the data folder is named: add 'places'")
        elif len(places) > 1:
            # a place met as "with X" / "avec X" is the partner; then the most named is the lead
            partners = set(self.places.names_in(" ".join(
                m[1] for m in WITH.finditer(f"{title} {main_text}"))))
            named_countries = set(self.countries.names_in(main_text))
            places.sort(key=lambda p: (p in partners,
                                       self.r.places[p].country not in named_countries,
                                       -mentions[p]))
            review.append(f"lead city {places[0]} chosen (not introduced by 'with', its country "
                          "named, most named): check the roles")
        countries = list(dict.fromkeys(self.r.places[p].country for p in places))
        expanded = COORDINATED.sub(lambda m: f"{m[1]} {m[3]}, {m[2]} {m[3]}", main_text)
        orgs = [s for s in self.orgs.names_in(expanded)]
        projects = self.projects.names_in(main_text)
        project = None
        if closing:
            project, pj_review = self.closing(closing[1], source)
            review += pj_review
            if project["slug"] not in projects:
                projects.append(project["slug"])
        participants = [{"place": p, "role": "lead-city" if i == 0 else "partner-city"}
                        for i, p in enumerate(places)]
        participants += [{"org": o, "role": "partner"} for o in orgs]
        slug = (detail_slug(source) if source else None) or slugify(title)
        record: dict[str, Any] = {"slug": slug, "status": "imported", "title": {lang: title}}
        for key, value in (("places", places), ("countries", countries), ("period", period),
                           ("source", source), ("projects", projects),
                           ("participants", participants)):
            if value:
                record[key] = value
        if not source:
            review.append("the page carries no address: give it with --source URL")
        if not facts_only:
            record["text"] = self.sections(body, lang)
        return Found(record, project, review)

    def header(self, line: str) -> tuple[str, list[str], str] | None:
        """Split "Country City City Years" (no delimiters) with the gazetteer, longest match
        first: (country, places, the rest, which should be the period)."""
        words = line.split()
        country = None
        for n in range(min(4, len(words)), 0, -1):
            country = self.countries.find(" ".join(words[:n]))
            if country:
                words = words[n:]
                break
        if country is None:
            return None
        places = []
        while words:
            for n in range(min(5, len(words)), 0, -1):
                place = self.places.find(" ".join(words[:n]))
                if place and self.r.places[place].country == country:
                    places.append(place)
                    words = words[n:]
                    break
            else:
                break
        return country, places, " ".join(words)

    def listing(self, page: Page, source: str | None) -> list[Found]:
        """The entries of a list page: a title line, then its "Country City Years" line."""
        lines = [ln for ln in page.lines if not CHROME.match(ln)]
        out = []
        for title, line in zip(lines, lines[1:], strict=False):
            parsed = self.header(line)
            if parsed is None or self.header(title) is not None:
                continue
            country, places, rest = parsed
            review = []
            unknown = re.match(r"^((?:[A-ZÀ-Ý][\w’'-]*\s*)+?)(?=\s*(?:\d|$|[a-z]))", rest)
            if unknown and parse_period(unknown.group(1)).start is None \
                    and not parse_period(unknown.group(1)).ongoing:
                name = unknown.group(1).strip()
                review.append(f"'{name}' is no known place of {country}: a region or a new "
                              "city? add it to data/places.yaml and to 'places'")
                rest = rest[unknown.end():].strip()
            period = parse_period(rest) if rest else None
            if rest and period is not None and period.start is None and not period.ongoing:
                review.append(f"'{rest}' after the places is no period: an unknown place or "
                              "region? add it to data/places.yaml")
                period = None
            if not places:
                review.append("no city in the header line: a practice of the whole country?")
            lang = page.lang or "en"
            record: dict[str, Any] = {"slug": slugify(title), "status": "imported",
                                      "title": {lang: title}}
            if places:
                record["places"] = places
            record["countries"] = [country]
            if period is not None and (period.start or period.ongoing):
                record["period"] = as_record(period)
            if source:
                record["source"] = source
            else:
                review.append("the page carries no address: give it with --source URL")
            out.append(Found(record, None, review))
        if not out:
            raise ValueError("not a good-practice page: no 'Back' line followed by a title, and "
                             "no 'Country City Years' lines of a list page")
        return out

    def sections(self, body: list[str], lang: str) -> dict[str, str]:
        out: dict[str, list[str]] = {}
        current = "summary"
        for line in body:
            head, sep, rest = line.partition(":")
            key = SECTIONS.get(head.strip().casefold())
            if sep and key:
                current = key
                line = rest.strip()
            if line:
                out.setdefault(current, []).append(line)
        return {k: "\n".join(v) for k, v in out.items()}

    def closing(self, m: re.Match[str], source: str | None) -> tuple[dict[str, Any], list[str]]:
        review = []
        name = re.sub(r"\s+", " ", m["project"]).strip(" ’'\"“”")
        slug = self.projects.find(name) or self.projects.find(name.split(" - ")[0].split(" – ")[0])
        grant = next((g.slug for g in self.r.grants.values() if g.number == m["grant"]), None)
        programme = self.programmes.find(m["programme"]) or self.programmes.find(
            f"{m['programme']} of the {m['funder']}")
        funder = self.orgs.find(m["funder"])
        implementers = []
        for part in IMPLEMENTER_SPLIT.split(m["implementers"]):
            part = re.sub(r"^(the|l’|l'|la|le)\s*", "", part.strip(), flags=re.I)
            if not part:
                continue
            org = self.orgs.find(part)
            if org is None:
                review.append(f"implementing organisation '{part}' matches no organisation: "
                              "add it to data/organisations.yaml or add this name to one")
            implementers.append(org or slugify(part))
        acronym = name.split(" - ")[0].split(" – ")[0] if " - " in name or " – " in name else None
        project: dict[str, Any] = {
            "slug": slug or slugify(acronym or name), "label": {"en": name},
            **({"acronym": acronym} if acronym else {}),
            "grants": [grant or m["grant"]], "programmes": [programme] if programme else [],
            "participants": ([{"org": implementers[0], "role": "coordinator"}] if implementers
                             else []) + [{"org": o, "role": "implementing-organisation"}
                                         for o in implementers]
            + ([{"org": funder, "role": "funder"}] if funder else []),
            **({"source": source} if source else {}), "status": "imported",
        }
        project["known"] = slug is not None
        for what, value in (("grant", grant), ("programme", programme), ("funder", funder)):
            if value is None:
                review.append(f"the {what} of '{name}' matches nothing in the data: review "
                              f"the new {what} before building")
        return project, review


def import_pages(files: list[Path], data_dir: Path, out_dir: Path | None = None,
                 source: str | None = None, facts_only: bool = False, force: bool = False,
                 ) -> tuple[list[str], list[str]]:
    """Returns (lines of what was done, lines of problems). Each file stands alone: a bad file
    is reported and the others are still imported."""
    records = read_records(data_dir, practices=False)  # names only: drafts may be incomplete
    reader = Reader(records)
    out_dir = out_dir or data_dir
    done: list[str] = []
    problems: list[str] = []
    today = dt.date.today().isoformat()
    for path in files:
        try:
            page = read_page(path)
            given = source or page.url
            url = canonical_url(given) if given else None
            if page.lang and page.lang not in SITE_LANGUAGES:
                raise ValueError(f"unknown language '{page.lang}': the ICC site is published "
                                 f"in {', '.join(SITE_LANGUAGES)}")
            if any(ln.casefold().strip(" <>") in BACK for ln in page.lines):
                founds = [reader.practice(page, url, facts_only)]
            else:
                founds = reader.listing(page, url)
        except (ValueError, DataError) as exc:
            problems.append(f"{rel(path)}: {exc}; nothing written for this file")
            continue
        for found in founds:
            _write(found, path, out_dir, force, today, done, problems)
    return done, problems


def _write(found: Found, path: Path, out_dir: Path, force: bool, today: str, done: list[str],
           problems: list[str]) -> None:
    record = found.record
    target = out_dir / PRACTICES_DIR / f"{record['slug']}.yaml"
    existing = yamlio.load(target) if target.exists() else None
    decision = decide(existing, record, force)
    if decision is Decision.UNCHANGED:
        done.append(f"{rel(path)}: unchanged {rel(target)}")
        return
    if decision is Decision.KEPT_REVIEWED:
        problems.append(f"{rel(path)}: {rel(target)} is reviewed and was kept (a reviewed "
                        "record is never replaced by an import; edit it by hand)")
        return
    if decision is Decision.KEPT_EDITED:
        problems.append(f"{rel(path)}: {rel(target)} was edited since its import and was kept; "
                        "use --force to replace it (the difference is shown then)")
        return
    if existing is not None:
        diff = difflib.unified_diff(yamlio.dump(dict(existing)).splitlines(),
                                    yamlio.dump(record).splitlines(), "kept", "imported",
                                    lineterm="")
        done.append("\n".join(diff))
    record["updated"] = today
    yamlio.write_atomic(target, yamlio.dump(record))
    done.append(f"{rel(path)}: wrote {rel(target)}")
    done += [f"  to review: {r}" for r in found.review]
    project = found.project
    if project:
        facts = (f"grant {', '.join(project['grants'])}, programme "
                 f"{', '.join(project['programmes']) or '?'}, implemented by "
                 + ", ".join(p["org"] for p in project["participants"]
                             if p["role"] == "implementing-organisation"))
        if project.get("known"):
            done.append(f"  project: {project['slug']}, already in the data ({facts})")
        else:
            done.append(f"  to review: project '{project['label']['en']}' is not in "
                        f"data/projects.yaml: add it ({facts})")
