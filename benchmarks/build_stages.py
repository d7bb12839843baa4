"""Time and peak memory of each build stage on synthetic catalogues, beside the floor: the time
pyoxigraph alone takes to parse and write the same triples, measured in the same run.

    python benchmarks/build_stages.py [--sizes 1000 10000] [--work DIR]

Each size runs in a fresh process, so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def child(practices: int, work: Path) -> dict[str, float]:
    import pyoxigraph as ox
    from synthetic import generate

    from icc_graph.build import Timings, build

    data = generate(work / f"data-{practices}", practices)
    timings = Timings()
    release = build(data, work / f"dist-{practices}", "https://w3id.org/icc-graph/",
                    timings=timings)
    result = dict(timings.stages)
    result["total"] = sum(timings.stages.values())
    result["triples"] = release.triples
    # the floor: pyoxigraph parsing the N-Triples dump and writing it as Turtle
    nt = gzip.decompress((release.path / "icc-graph.nt.gz").read_bytes())
    t = time.perf_counter()
    triples = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
    result["floor parse"] = time.perf_counter() - t
    t = time.perf_counter()
    ox.serialize(triples, format=ox.RdfFormat.TURTLE)
    result["floor write"] = time.perf_counter() - t
    # the JSON-LD dump: our compacting writer (part of "release") beside pyoxigraph's expanded one
    from icc_graph.store import jsonld

    t = time.perf_counter()
    jsonld.write(triples, work / f"compacted-{practices}.jsonld")
    result["jsonld ours"] = time.perf_counter() - t
    t = time.perf_counter()
    ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    result["jsonld oxigraph"] = time.perf_counter() - t
    result["peak MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="icc-bench-"))
    if args.child:
        print(json.dumps(child(args.child, work)))
        return
    rows = {}
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--work", str(work)],
                             check=True, capture_output=True, text=True).stdout
        rows[n] = json.loads(out.strip().splitlines()[-1])
    stages = ["records", "graph", "validation", "release", "total", "floor parse",
              "floor write", "jsonld ours", "jsonld oxigraph", "peak MiB"]
    print(f"{'stage':<14}" + "".join(f"{n:>14,} practices" for n in rows))
    for stage in stages:
        unit = "" if stage == "peak MiB" else " s"
        print(f"{stage:<14}" + "".join(f"{rows[n][stage]:>22.2f}{unit}" for n in rows))
    for n, r in rows.items():
        floor = r["floor parse"] + r["floor write"]
        share = max(("records", "graph", "validation", "release"), key=lambda s: r[s])
        print(f"{n:,} practices, {int(r['triples']):,} triples: total {r['total']:.1f} s = "
              f"{r['total'] / floor:.0f}x the pyoxigraph floor ({floor:.2f} s); "
              f"{share} is {100 * r[share] / r['total']:.0f}% of it")


if __name__ == "__main__":
    main()
