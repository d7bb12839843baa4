"""Catalogue entries to practice records: the copies of one practice (grouped and screened by
``entries.py``) become one record, their names matched to the data folder's records through the
name index; new places, organisations, projects and programmes are proposed for what is not
known yet. Plain dicts, as the record files hold them; no RDF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import yamlio
from ..errors import rel
from ..loader import SHARED_FILES
from ..names import guess_language, normalise, slugify
from ..periods import as_record, parse_period
from .addresses import canonical_url, detail_slug
from .entries import Entry, group_entries, news_evidence
from .nameindex import KINDS, NameIndex
from .report import Report

_ROLE_NOTE = re.compile(r"\s*\((coordinator|co-ordinator|lead partner[^)]*)\)\s*$", re.I)
_SPELLING_NOTE = re.compile(r"\s*\([^)]*spelled[^)]*\)")
_ACRONYM = re.compile(r"^(.*\S)\s*\(((?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z+]{1,9})\)$")
_QUALIFIER = re.compile(r"\(([^()]+)\)\s*$")
_ORG_TYPES = (
    (r"\bpolice\b", "police"),
    (r"\b(municipality|municipalit[eé]|comune|city of|mayor)\b", "municipality"),
    (r"\b(foundation|fondazione|fondation)\b", "foundation"),
    (r"\b(university|universit[eé]|college|school of)\b", "university"),
    (r"\bschool\b", "school"),
    (r"\b(network|r[eé]seau)\b", "network"),
    (r"\b(association|assciation|ngo|club|centre|center)\b", "ngo"),
    (r"\b(ministry|commission|office|department|service|bureau|board|agency)\b",
     "public-body"),
    (r"\b(ag|ltd|company|plc|inc)\b", "company"),
)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


class Assembler:
    def __init__(self, rows: list[tuple[str, int, dict[str, Any]]], data_dir: Path,
                 curation: dict[str, Any], today: str):
        self.rows, self.data, self.cur, self.today = rows, data_dir, curation, today
        self.report = Report(rows=len(rows))
        self.shared: dict[str, dict[str, dict[str, Any]]] = {}
        items: dict[str, list[Any]] = {}
        for kind in KINDS:
            path = data_dir / SHARED_FILES[kind]
            items[kind] = (yamlio.load(path) or []) if path.exists() else []
        self.index = NameIndex.from_items(
            items, {k: rel(data_dir / SHARED_FILES[k]) for k in KINDS})
        self.shared = {kind: {r["slug"]: r for r in items[kind]} for kind in KINDS}
        self.index.add_exonyms(data_dir)
        self.gaz = self.index.kinds
        for name, slug in (curation.get("topic_synonyms") or {}).items():
            self.gaz["topics"].add(slug, [name])
        self.new: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in self.shared}
        self.same = {}
        for group in curation.get("same_practice") or []:
            for title in group:
                self.same[normalise(title)] = normalise(group[0])
        languages = curation.get("title_languages") or {}
        self.title_lang = {normalise(k): v for k, v in languages.items()}
        occupations = "|".join(re.escape(o) for o in curation.get("person_occupations") or [])
        self.person = re.compile(
            rf"^\s*\w[\w.'’-]+(\s+\w[\w.'’-]+){{1,3}}\s*\((?:{occupations})\)\s*$", re.I
        ) if occupations else None
        self.generic = {normalise(p) for p in curation.get("not_organisations") or []}

    # ------------------------------------------------------------ which entries
    def keep(self, file: str, line: int, row: dict[str, Any]) -> bool:
        title = (row.get("title") or "").strip()
        for ex in self.cur.get("exclude") or []:
            if normalise(ex["title"]) == normalise(title):
                self.report.left_out.append(f"{file}:{line} '{title}': {ex['reason']} "
                                            "(data/curation/catalogue.yaml)")
                return False
        if not title:
            self.report.left_out.append(f"{file}:{line}: no title on the page copy "
                                        f"({row.get('city') or row.get('country')})")
            return False
        return True

    def entry(self, file: str, line: int, row: dict[str, Any]) -> Entry:
        places, countries = self.where(row)
        tkey = normalise(row["title"])
        aliases = [normalise(row["title_en_from_slug"])] if row.get("title_en_from_slug") else []
        curated = tkey in self.same and self.same[tkey] != tkey
        tkey = self.same.get(tkey, tkey)
        page = detail_slug(canonical_url(row["source_url"]))
        seen = tuple(s for s in (detail_slug(canonical_url(u)) for u in
                                 row.get("also_seen_in") or [] if isinstance(u, str)) if s)
        return Entry(file, line, row, frozenset(places), frozenset(countries), tkey,
                     tuple(self.same.get(a, a) for a in aliases), page, curated, seen)

    def groups(self) -> list[list[dict[str, Any]]]:
        entries = [self.entry(f, n, r) for f, n, r in self.rows if self.keep(f, n, r)]
        grouped = group_entries(entries)
        self.report.merges += grouped.evidence
        words = list(self.cur.get("exclude_notes_containing") or [])
        out = []
        for group in grouped.groups():
            evidence = {e.label: news_evidence(e.row, words) for e in group}
            if all(evidence.values()):
                for label, why in evidence.items():
                    self.report.left_out.append(f"{label}: news, not a practice: "
                                                + "; ".join(why))
                continue
            out.append([e.row for e in group])
        return out

    def where(self, row: dict[str, Any]) -> tuple[list[str], list[str]]:
        """The places and countries one copy names, matched to the data (new places made)."""
        cs = [c for c in (self.country(n) for n in _split(row.get("country") or "")) if c]
        names = _split(row.get("city") or "")
        pairs = zip(names, cs, strict=True) if len(cs) == len(names) > 1 else \
            [(n, cs[0] if len(cs) == 1 else None) for n in names]
        places: list[str] = []
        for name, c in pairs:
            slug = self.place(name, c)
            if slug and slug not in places:
                places.append(slug)
        return places, cs

    # ------------------------------------------------------------ resolving names
    def country(self, name: str) -> str | None:
        slug = self.gaz["countries"].find(name)
        if slug is None:
            self.report.notes.append(f"unknown country '{name}': add it to data/countries.yaml")
        return slug

    def place(self, name: str, country: str | None) -> str | None:
        slug = self.gaz["places"].find(name)
        if slug is not None:
            known = self.shared["places"].get(slug) or self.new["places"].get(slug)
            if known and country and known["country"] != country:
                self.report.notes.append(
                    f"place '{name}' is in {known['country']} in the data but in {country} "
                    "in the catalogue: kept the data's")
            return slug
        if country is None:
            return None
        slug = slugify(name)
        self.new["places"][slug] = {"slug": slug, "type": "city", "label": {"en": name},
                                    "country": country, "status": "imported",
                                    "updated": self.today}
        self.gaz["places"].add(slug, [name])
        return slug

    def thing(self, kind: str, name: str, lang: str, extra: dict[str, Any]) -> str:
        slug = self.gaz[kind].find(name)
        if slug is not None:
            return slug
        acronym = None
        if kind == "organisations" and (m := _ACRONYM.match(name)):
            name, acronym = m.group(1), m.group(2)
            slug = self.gaz[kind].find(name) or self.gaz[kind].find(acronym)
            if slug is not None:
                return slug
        slug = slugify(name)
        while slug in self.shared[kind] or slug in self.new[kind]:
            existing = self.shared[kind].get(slug) or self.new[kind][slug]
            if normalise(existing["label"].get(lang, "")) == normalise(name):
                return slug
            slug = f"{slug}-2" if not slug[-1].isdigit() else f"{slug[:-1]}{int(slug[-1]) + 1}"
        record: dict[str, Any] = {"slug": slug, "label": {lang: name}}
        if acronym:
            record["acronym"] = acronym
        record.update(extra)
        record.update({"status": "imported", "updated": self.today})
        self.new[kind][slug] = record
        self.gaz[kind].add(slug, [name, acronym])
        return slug

    def org_facts(self, name: str) -> dict[str, Any]:
        """What the name itself says: the kind of organisation, the place in brackets."""
        facts: dict[str, Any] = {}
        council = re.match(r"^(.+?) (?:city |borough |municipal )?council$", name, re.I)
        if council and council.group(1) in self.gaz["places"]:
            facts["type"] = "municipality"
        else:
            low = name.casefold()
            for pattern, kind in _ORG_TYPES:
                if re.search(pattern, low):
                    facts["type"] = kind
                    break
        qualifier = _QUALIFIER.search(name)
        place = self.gaz["places"].find(qualifier.group(1)) if qualifier else None
        if place is None:
            place = next((p for p in self.gaz["places"].names_in(name)), None)
        if place is not None:
            facts["based_in"] = place
        return facts

    # ------------------------------------------------------------ one practice
    def practice(self, group: list[dict[str, Any]], used: set[str]) -> dict[str, Any] | None:
        group = sorted(group, key=lambda r: (r["kind"] != "detail", r["lang"] != "en"))
        urls = [canonical_url(r["source_url"]) for r in group]
        coe = [u for u in urls if urlsplit(u).netloc.endswith("coe.int")]
        details = [u for u in coe if detail_slug(u)]
        source = (details or coe or urls)[0]
        also = sorted(set(urls) - {source})

        titles: dict[str, str] = {}
        for r in group:
            title = r["title"].strip()
            lang = self.title_lang.get(normalise(title)) or guess_language(title, r["lang"])
            titles.setdefault(lang, title)
        for r in group:  # an English title read from the page's address, when none was shown
            if r.get("title_en_from_slug"):
                titles.setdefault("en", r["title_en_from_slug"].strip())

        countries: list[str] = []
        places: list[str] = []
        for r in group:
            ps, cs = self.where(r)
            places += [p for p in ps if p not in places]
            countries += [c for c in cs if c not in countries]
        if not places and not countries:
            self.report.left_out.append(f"'{group[0]['title']}': no place and no country "
                                        "on any copy of the page (add a record by hand)")
            return None
        for p in places:
            pc = (self.shared["places"].get(p) or self.new["places"][p])["country"]
            if pc not in countries:
                countries.append(pc)

        topics: list[str] = []
        for r in group:
            for t in r.get("topics") or []:
                slug = self.gaz["topics"].find(t)
                if slug is None:
                    self.report.notes.append(f"'{t}' is not an ICC topic: left out "
                                             f"(of '{group[0]['title']}')")
                elif slug not in topics:
                    topics.append(slug)

        period = self.period(group)
        participants: list[dict[str, str]] = []
        projects: list[str] = []
        programmes: list[str] = []
        for r in group:
            for raw in r.get("partners") or []:
                self.partner(raw, guess_language(raw, r["lang"]), participants)
            for raw in r.get("projects") or []:
                name = re.sub(r"[“”\"]", "", raw).strip()  # quotes around part of a name
                plang = guess_language(name, r["lang"])
                slug = self.thing("projects", name, plang, {})
                if slug not in projects:
                    projects.append(slug)
            for raw in r.get("funders") or []:
                if normalise(raw) in self.generic:
                    continue
                slug = self.thing("programmes", raw.strip(), "en", {})
                if slug not in programmes:
                    programmes.append(slug)

        slug = next((s for s in (detail_slug(u) for u in details) if s), None) \
            or slugify(titles.get("en") or next(iter(titles.values())))
        if slug in used:
            slug = f"{slug}-{places[0] if places else countries[0]}"
        used.add(slug)
        record: dict[str, Any] = {"slug": slug, "status": "imported", "title": titles,
                                  "places": places}
        if not places:
            record.pop("places")
        record["countries"] = countries
        for key, value in (("topics", topics), ("period", period), ("source", source),
                           ("also_seen_at", also), ("projects", projects),
                           ("programmes", programmes), ("participants", participants)):
            if value:
                record[key] = value
        return record

    def correct(self, records: list[dict[str, Any]]) -> None:
        """Apply the corrections of the curation file, each with the page that gives it."""
        by_slug = {r["slug"]: r for r in records}
        for c in self.cur.get("corrections") or []:
            record = by_slug.get(c["practice"])
            where = f"{c['practice']} {c['field']} = '{c['value']}' (from {c['source']})"
            if record is None:
                self.report.notes.append(f"correction for a practice not imported: {where}")
                continue
            kind = c["field"]
            if kind == "period":
                record["period"] = as_record(parse_period(c["value"]))
            elif kind == "place":
                place = self.gaz["places"].find(c["value"])
                if place is None:
                    self.report.notes.append(f"correction names an unknown place: {where}")
                    continue
                pc = (self.shared["places"].get(place) or self.new["places"][place])["country"]
                record.setdefault("places", [])
                if place not in record["places"]:
                    record["places"].append(place)
                if pc not in record["countries"]:
                    record["countries"].append(pc)
            elif kind.startswith("title_"):
                record["title"][kind.removeprefix("title_")] = c["value"]
            else:
                self.report.notes.append(f"correction of an unknown field: {where}")
                continue
            source = canonical_url(c["source"])
            if source != record["source"] and source not in record.get("also_seen_at", []):
                record["also_seen_at"] = sorted({*record.get("also_seen_at", []), source})
            self.report.corrections.append(where)
        # keep the record's key order stable whatever was corrected
        order = ("slug", "status", "title", "places", "countries", "topics", "period", "source",
                 "also_seen_at", "projects", "programmes", "participants")
        for r in records:
            items = sorted(r.items(), key=lambda kv: order.index(kv[0]))
            r.clear()
            r.update(items)

    def partner(self, raw: str, lang: str, participants: list[dict[str, str]]) -> None:
        name = _SPELLING_NOTE.sub("", raw).strip()
        role = "partner"
        if _ROLE_NOTE.search(name):
            name, role = _ROLE_NOTE.sub("", name).strip(), "coordinator"
        if self.person is not None and self.person.match(raw):
            self.report.left_out.append("a partner who is a private person (name not kept)")
            return
        if normalise(name) in self.generic or name[:1].islower() and not re.search(r"[A-Z]", name):
            return
        place = self.gaz["places"].find(name)
        if place is not None:
            entry = {"place": place, "role": "partner-city"}
        else:
            entry = {"org": self.thing("organisations", name, lang, self.org_facts(name)),
                     "role": role}
        if entry not in participants:
            participants.append(entry)

    def period(self, group: list[dict[str, Any]]) -> dict[str, Any] | None:
        best: tuple[int, dict[str, Any]] | None = None
        for r in group:
            text = (r.get("years") or "").strip()
            for name in (*_split(r.get("city") or ""), *_split(r.get("country") or "")):
                text = re.sub(rf"\s*{re.escape(name)}(,\s*\S+)?\s*$", "", text)
            text = re.sub(r"\s*,\s*$", "", text).strip()
            if not text:
                continue
            if r["kind"] == "detail" and re.fullmatch(r"\d{4}", text):
                # a detail page's bare year is the year it was written up, not a start
                self.report.notes.append(f"'{r['title']}': the detail page's year {text} is "
                                         "the year of the write-up, not taken as its start")
                continue
            p = parse_period(text)
            if p.start is not None and p.end is not None and p.start > p.end:
                self.report.notes.append(f"period '{text}' ends before it starts: left out")
                continue
            score = 4 * (p.start is not None) + 2 * (r["kind"] == "listing") + p.ongoing
            if p.start is None and p.end is None and not p.ongoing:
                score = -1
            value = as_record(p)
            if best is None or score > best[0]:
                best = (score, value)
        return best[1] if best else None
