"""The reviewed table of GeoNames matches (``data/links/geonames.tsv``): where each place is.

Written by ``icc-graph import geonames`` and read by the build, which never touches GeoNames
itself. One row a place: its GeoNames identifier, the coordinates GeoNames gives, a status and
the evidence of the match. Only ``matched`` and ``reviewed`` rows are published; ``candidate``
(one GeoNames city for a borough, an island or a region: a person confirms it), ``ambiguous`` and
``missing`` rows are there for review, ``rejected`` ones are kept so a re-import does not
offer them again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import yamlio
from .errors import DataError, Problem, rel

GEONAMES_FILE = Path("links") / "geonames.tsv"
STATUSES = ("matched", "reviewed", "candidate", "ambiguous", "missing", "rejected")
PUBLISHED = ("matched", "reviewed")
SOURCE = "https://www.geonames.org/"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
HEADER = (
    "# GeoNames matches of the places of data/places.yaml (written by `icc-graph import\n"
    "# geonames`, reviewed by hand). GeoNames data, CC BY 4.0, https://www.geonames.org/ .\n"
    "# status: matched and reviewed rows are published; ambiguous and missing ones await a\n"
    "# reviewer (set geonames_id, lat, long and status reviewed, or status rejected).\n"
)


@dataclass(frozen=True)
class GeoLink:
    place: str
    label: str
    country: str
    geonames_id: str
    geonames_name: str
    lat: str
    long: str
    status: str
    evidence: str
    names: str = ""  # the city's other names in GeoNames (Latin script), separated by |
    line: int = 0

    @property
    def other_names(self) -> list[str]:
        return [n for n in self.names.split("|") if n.strip()]

    @property
    def iri(self) -> str:
        return f"https://sws.geonames.org/{self.geonames_id}/"


COLUMNS = [f.name for f in fields(GeoLink) if f.name != "line"]


def read_geolinks(path: Path) -> list[GeoLink]:
    """The rows of the table; a malformed row is an error with its line and column."""
    if not path.exists():
        return []
    lines = yamlio.read_text(path).splitlines()
    body = [(n, ln) for n, ln in enumerate(lines, start=1) if not ln.startswith("#")]
    if not body:
        return []
    reader = csv.DictReader(io.StringIO("\n".join(ln for _, ln in body)), delimiter="\t")
    if reader.fieldnames not in (COLUMNS, COLUMNS[:-1]):  # tables written before `names`
        raise DataError([Problem("the header must be: " + " ".join(COLUMNS), rel(path),
                                 body[0][0], hint="restore the header row")])
    out, problems = [], []
    for (n, _), row in zip(body[1:], reader, strict=False):
        link = GeoLink(**{k: (row.get(k) or "").strip() for k in COLUMNS}, line=n)
        if link.status not in STATUSES:
            problems.append(Problem(f"status '{link.status}' is not allowed", rel(path), n,
                                    "status", "use one of: " + ", ".join(STATUSES)))
        elif link.status in PUBLISHED:
            try:
                lat, long = float(link.lat), float(link.long)
            except ValueError:
                problems.append(Problem("a published row needs numeric lat and long",
                                        rel(path), n, "lat"))
                continue
            if not (-90 <= lat <= 90 and -180 <= long <= 180) or not link.geonames_id.isdigit():
                problems.append(Problem("lat, long or geonames_id out of range", rel(path), n,
                                        "lat", "lat in -90..90, long in -180..180, a numeric id"))
        out.append(link)
    if problems:
        raise DataError(problems)
    return out


def write_geolinks(path: Path, links: list[GeoLink]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, delimiter="\t", lineterminator="\n")
    w.writeheader()
    for link in sorted(links, key=lambda lk: lk.place):
        row = asdict(link)
        row.pop("line")
        w.writerow(row)
    yamlio.write_atomic(path, HEADER + buf.getvalue())
