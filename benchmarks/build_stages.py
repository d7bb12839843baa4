"""Time and peak memory of each build stage on synthetic catalogues, beside the floor (the time
pyoxigraph alone takes to parse and write the same triples, measured in the same run), and the
time of a rebuild after one edited record, at each size and on the bundled catalogue.

    python benchmarks/build_stages.py [--sizes 1000 10000 30000] [--no-bundled] [--work DIR]
        [--baseline CHECKOUT] [--json FILE]

Each build and each rebuild runs in a fresh process, so that its peak memory and its imports
are its own. A rebuild edits one practice's title and builds into the same --out folder, so it
reuses what the build keeps in --out/.cache. ``--baseline`` names another checkout of the project
(e.g. ``git worktree add /tmp/base main``): each catalogue is then also built and rebuilt by that
code, just before this one, and the table gives both side by side with their ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/icc-graph/"


def child(data: Path, out: Path, floor: bool) -> dict[str, object]:
    t = time.perf_counter()
    from icc_graph.build import Timings, build
    imported = time.perf_counter() - t
    timings = Timings()
    release = build(data, out, BASE, timings=timings)
    result: dict[str, object] = {
        "import": imported, "stages": timings.stages, "peaks": timings.peaks,
        "total": sum(timings.stages.values()), "triples": release.triples,
        "peak MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers peak MiB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    if floor:  # pyoxigraph parsing the N-Triples dump and writing it as Turtle
        import pyoxigraph as ox
        nt = gzip.decompress((release.path / "icc-graph.nt.gz").read_bytes())
        t = time.perf_counter()
        triples = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
        result["floor parse"] = time.perf_counter() - t
        t = time.perf_counter()
        ox.serialize(triples, format=ox.RdfFormat.TURTLE)
        result["floor write"] = time.perf_counter() - t
    return result


def edit_one(data: Path) -> None:
    """Change the English title of one practice record (the first by name)."""
    record = sorted((data / "practices").glob("*.yaml"))[0]
    text = record.read_text(encoding="utf-8")
    edited = re.sub(r"(\n  en: )(.*)", lambda m: f"{m.group(1)}{m.group(2)} (edited)", text,
                    count=1)
    assert edited != text, record
    record.write_text(edited, encoding="utf-8")


def run(data: Path, out: Path, floor: bool, code: Path | None = None) -> dict[str, object]:
    """One build in a fresh process, of this checkout's code or of ``code``'s."""
    args = [sys.executable, __file__, "--child", str(data), "--out", str(out)]
    if floor:
        args.append("--floor")
    # this checkout's package (or the other one's) comes first on the path, whatever is installed
    env = {**os.environ, "PYTHONPATH": str(code or ROOT)}
    done = subprocess.run(args, check=True, capture_output=True, text=True, env=env,
                          cwd=code or ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(name: str, data: Path, work: Path, code: Path | None = None
            ) -> dict[str, dict[str, object]]:
    out = work / f"dist-{name}{'-baseline' if code else ''}"
    if out.exists():
        shutil.rmtree(out)
    full = run(data, out, floor=True, code=code)
    edit_one(data)
    again = run(data, out, floor=False, code=code)
    return {"build": full, "rebuild": again}


def table(rows: dict[str, dict[str, dict[str, object]]]) -> None:
    names = list(rows)
    stages: list[str] = []
    for r in rows.values():
        for stage in r["build"]["stages"]:  # type: ignore[attr-defined]
            if stage not in stages:
                stages.append(stage)
    width = 24
    print(f"{'stage (s; peak MiB)':<22}" + "".join(f"{n:>{width}}" for n in names))
    for stage in stages:
        cells = []
        for n in names:
            b = rows[n]["build"]
            sec = b["stages"].get(stage, 0.0)  # type: ignore[attr-defined]
            peak = b["peaks"].get(stage, (0, 0))[0]  # type: ignore[attr-defined]
            cells.append(f"{sec:8.2f} ({peak:5.0f})")
        print(f"{stage:<22}" + "".join(f"{c:>{width}}" for c in cells))
    for label, key in (("total", "total"), ("peak MiB", "peak MiB"),
                       ("workers peak MiB", "workers peak MiB"), ("floor parse", "floor parse"),
                       ("floor write", "floor write")):
        print(f"{label:<22}" + "".join(f"{float(rows[n]['build'][key]):>{width}.2f}"  # type: ignore[arg-type]
                                      for n in names))
    print(f"{'import (s)':<22}" + "".join(
        f"{float(rows[n]['build']['import']):>{width}.2f}" for n in names))  # type: ignore[arg-type]
    print()
    print(f"{'one-record rebuild':<22}" + "".join(f"{n:>{width}}" for n in names))
    for stage in stages:
        print(f"{stage:<22}" + "".join(
            f"{rows[n]['rebuild']['stages'].get(stage, 0.0):>{width}.2f}"  # type: ignore[attr-defined]
            for n in names))
    cells = [f"{float(rows[n]['rebuild']['total']):.2f} "  # type: ignore[arg-type]
             f"(+{float(rows[n]['rebuild']['import']):.2f})" for n in names]  # type: ignore[arg-type]
    print(f"{'total (+ import)':<22}" + "".join(f"{c:>{width}}" for c in cells))
    print()
    for n in names:
        base = rows.get(f"{n.split(' ')[0]}, baseline") if not n.endswith("baseline") else None
        if base is None:
            continue
        ratios = [float(base[k]["total"]) / float(rows[n][k]["total"])  # type: ignore[arg-type]
                  for k in ("build", "rebuild")]
        print(f"{n}: baseline ÷ this = {ratios[0]:.2f}x from scratch, {ratios[1]:.2f}x one-record "
              "rebuild")
    for n, r in rows.items():
        b = r["build"]
        floor = float(b["floor parse"]) + float(b["floor write"])  # type: ignore[arg-type]
        total = float(b["total"])  # type: ignore[arg-type]
        print(f"{n}: {int(b['triples']):,} triples; build {total:.1f} s = "  # type: ignore[call-overload]
              f"{total / floor:.0f}x the pyoxigraph floor ({floor:.2f} s); one-record rebuild "
              f"{float(r['rebuild']['total']):.2f} s = "  # type: ignore[arg-type]
              f"{float(r['rebuild']['total']) / floor:.0f}x the floor")  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 30000])
    parser.add_argument("--no-bundled", action="store_true",
                        help="leave out the bundled catalogue (data/)")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of the project, measured before this one")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.out, args.floor)))
        return
    from synthetic import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="icc-bench-"))
    rows: dict[str, dict[str, dict[str, object]]] = {}
    if not args.no_bundled:
        data = work / "data-bundled"
        if data.exists():
            shutil.rmtree(data)
        shutil.copytree(ROOT / "data", data)
        if args.baseline:
            rows["bundled, baseline"] = measure("bundled", data, work, args.baseline)
        rows["bundled"] = measure("bundled", data, work)
    for n in args.sizes:
        data = generate(work / f"data-{n}", n)
        if args.baseline:
            rows[f"{n:,}, baseline"] = measure(str(n), data, work, args.baseline)
        rows[f"{n:,} practices"] = measure(str(n), data, work)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    table(rows)


if __name__ == "__main__":
    main()
