"""A generator of synthetic catalogues shaped like the real one: N practices over cities,
organisations and projects, as a data folder of YAML records that `icc-graph build` reads.

    python benchmarks/synthetic.py OUT_DIR --practices 10000
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def generate(out: Path, practices: int, seed: int = 7) -> Path:
    """Write a data folder; sizes of the shared things grow with N as in the real catalogue."""
    rng = random.Random(seed)
    n_cities = max(60, practices // 4)
    n_orgs = max(100, practices // 2)
    n_projects = max(80, practices // 3)
    if out.exists():
        shutil.rmtree(out)
    (out / "practices").mkdir(parents=True)
    for name in ("topics.yaml", "countries.yaml", "programmes.yaml", "grants.yaml"):
        shutil.copy(DATA / name, out / name)
    topics = [t["slug"] for t in yaml.safe_load((DATA / "topics.yaml").read_text())]
    countries = [c["slug"] for c in yaml.safe_load((DATA / "countries.yaml").read_text())]
    orgs = yaml.safe_load((DATA / "organisations.yaml").read_text())
    org_refs = {o["slug"] for o in orgs}
    real_places = yaml.safe_load((DATA / "places.yaml").read_text())
    places = list(real_places) + [
        {"slug": f"city-{i}", "type": "city", "label": {"en": f"City {i}", "fr": f"Ville {i}"},
         "country": rng.choice(countries), "status": "imported"} for i in range(n_cities)]
    orgs = [o for o in orgs if o.get("based_in") is None or o["based_in"] in
            {p["slug"] for p in places}]
    orgs += [{"slug": f"org-{i}", "label": {"en": f"Organisation {i}"}, "type": "ngo",
              "country": rng.choice(countries), "based_in": f"city-{rng.randrange(n_cities)}",
              "status": "imported"} for i in range(n_orgs)]
    org_refs = {o["slug"] for o in orgs}
    projects = [p for p in yaml.safe_load((DATA / "projects.yaml").read_text())
                if all(x.get("org", next(iter(org_refs))) in org_refs
                       for x in p.get("participants", []))]
    projects += [{"slug": f"project-{i}", "label": {"en": f"Project {i}"},
                  "participants": [{"org": f"org-{rng.randrange(n_orgs)}", "role": "coordinator"},
                                   {"place": f"city-{rng.randrange(n_cities)}",
                                    "role": "partner-city"}],
                  "status": "imported"} for i in range(n_projects)]
    for name, items in (("places.yaml", places), ("organisations.yaml", orgs),
                        ("projects.yaml", projects)):
        (out / name).write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False))
    for i in range(practices):
        start = rng.randrange(2005, 2024)
        record = {
            "slug": f"practice-{i}", "status": "imported",
            "title": {"en": f"Practice {i} on diversity", "fr": f"Pratique {i}"},
            "places": [f"city-{rng.randrange(n_cities)}" for _ in range(rng.choice((1, 1, 1, 2)))],
            "topics": rng.sample(topics, rng.randrange(0, 3)),
            "period": {"text": f"{start} - ongoing", "start": start, "ongoing": True},
            "source": f"https://www.coe.int/en/web/interculturalcities/-/practice-{i}",
            "projects": [f"project-{rng.randrange(n_projects)}"],
            "participants": [{"org": f"org-{rng.randrange(n_orgs)}", "role": "partner"}
                             for _ in range(rng.randrange(0, 4))],
            "updated": "2026-01-01",
        }
        record["places"] = list(dict.fromkeys(record["places"]))
        record["participants"] = [dict(t) for t in {tuple(p.items())
                                                    for p in record["participants"]}]
        (out / "practices" / f"practice-{i}.yaml").write_text(
            yaml.safe_dump(record, allow_unicode=True, sort_keys=False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--practices", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.practices, args.seed)
    print(f"wrote {args.practices} practices to {args.out}")


if __name__ == "__main__":
    main()
