"""Time and peak memory of each build stage on synthetic catalogues, beside the floor (the time
pyoxigraph alone takes to parse and write the same triples, measured in the same run), and the
time of a rebuild after one edited record, at each size and on the bundled catalogue.

    python benchmarks/build_stages.py [--sizes 1000 10000 30000] [--no-bundled] [--work DIR]
        [--baseline CHECKOUT] [--rounds N] [--json FILE]

Each build and each rebuild runs in a fresh process, so that its peak memory and its imports
are its own. A rebuild edits one practice's title and builds into the same --out folder, so it
reuses what the build keeps in --out/.cache. ``--baseline`` names another checkout of the project
(e.g. ``git worktree add /tmp/base main``): each catalogue is then also built and rebuilt by that
code, just before this one, and the table gives both side by side with their ratio.

The machine is shared, and a neighbour's load slows one size and not the next. ``--rounds N``
measures every catalogue in turn N times over (sizes interleaved, so a slow spell falls on all
of them) and keeps, for each, the build and the rebuild least disturbed: the lowest totals. The
last lines compare consecutive sizes: how much longer the build takes than linear in triples,
beside the same ratio for the floor, which says how much of it the machine's state explains.
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
        "workers peak MiB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "cpu": _cpu()}
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


def _cpu() -> float:
    """Processor seconds of this process and of its ended children (the build's forks)."""
    me, forks = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + forks.ru_utime + forks.ru_stime


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


def best(rounds: list[dict[str, dict[str, object]]]) -> dict[str, dict[str, object]]:
    """The build and the rebuild of least total among the rounds of one catalogue, with every
    round's totals (``totals``) to show the spread."""
    kept = {kind: min((r[kind] for r in rounds), key=lambda b: float(b["total"]))  # type: ignore[arg-type]
            for kind in ("build", "rebuild")}
    kept["totals"] = {kind: [float(r[kind]["total"]) for r in rounds]  # type: ignore[arg-type]
                      for kind in ("build", "rebuild")}
    return kept


def linearity(rows: dict[str, dict[str, dict[str, object]]]) -> list[str]:
    """For consecutive catalogues (not baselines), the build's growth over the triples' growth
    ("of linear"), and the floor's."""
    names = [n for n in rows if not n.endswith("baseline")]
    lines = []
    for a, b in zip(names, names[1:], strict=False):
        x, y = rows[a]["build"], rows[b]["build"]
        triples = float(y["triples"]) / float(x["triples"])  # type: ignore[arg-type]
        grew = float(y["total"]) / float(x["total"])  # type: ignore[arg-type]
        floors = [float(r["floor parse"]) + float(r["floor write"]) for r in (x, y)]  # type: ignore[arg-type]
        floor = floors[1] / floors[0]
        cpu = float(y["cpu"]) / float(x["cpu"])  # type: ignore[arg-type]
        lines.append(f"{a} → {b}: triples {triples:.2f}x, build {grew:.2f}x = "
                     f"{grew / triples:.2f}x of linear (processor time {cpu:.2f}x = "
                     f"{cpu / triples:.2f}x); floor {floor:.2f}x = "
                     f"{floor / triples:.2f}x of linear; build ÷ floor "
                     f"{grew / floor:.2f}x")
    return lines


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
    for label, key in (("total", "total"), ("processor s", "cpu"), ("peak MiB", "peak MiB"),
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
        totals: dict[str, list[float]] = r.get("totals", {})  # type: ignore[assignment]
        if len(totals.get("build", ())) > 1:
            print("  every round: build " + ", ".join(f"{t:.1f}" for t in totals["build"])
                  + " s; rebuild " + ", ".join(f"{t:.2f}" for t in totals["rebuild"]) + " s")
    for line in linearity(rows):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 30000])
    parser.add_argument("--no-bundled", action="store_true",
                        help="leave out the bundled catalogue (data/)")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of the project, measured before this one")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every catalogue this many times, in turn, and keep the "
                             "least disturbed build and rebuild of each")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.out, args.floor)))
        return
    from synthetic import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="icc-bench-"))
    catalogues: list[tuple[str, Path]] = []
    if not args.no_bundled:
        data = work / "data-bundled"
        if data.exists():
            shutil.rmtree(data)
        shutil.copytree(ROOT / "data", data)
        catalogues.append(("bundled", data))
    for n in args.sizes:
        catalogues.append((str(n), generate(work / f"data-{n}", n)))
    rounds: dict[str, list[dict[str, dict[str, object]]]] = {}
    for _ in range(max(1, args.rounds)):
        for name, data in catalogues:
            label = name if name == "bundled" else f"{int(name):,} practices"
            if args.baseline:
                base = "bundled" if name == "bundled" else f"{int(name):,}"
                rounds.setdefault(f"{base}, baseline", []).append(
                    measure(name, data, work, args.baseline))
            rounds.setdefault(label, []).append(measure(name, data, work))
    rows = {label: best(measured) for label, measured in rounds.items()}
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    table(rows)


if __name__ == "__main__":
    main()
