"""Routing benchmark: our solver vs PyVRP at the same budget, in the same run.

    python benchmarks/routing.py --suite solomon --instances default --budgets 5,30
    python benchmarks/routing.py --suite cvrp --budgets 30
    python benchmarks/routing.py --suite realistic --sizes 50,200,1000 --budgets 30

Prints one row per (instance, budget, solver): cost, gap to BKS (Solomon: LKH-3's BKS
column, ×10 truncated distances; CVRPLIB: the .sol files), vehicles, wall and cpu
seconds (cpu includes child processes, so contention shows as cpu < workers × wall).
Every plan, ours or PyVRP's, is re-checked by routing's validator on the same
integer matrices. Objective: total distance; vehicles are not minimised first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing import _pyvrp
from routing.model import compile_problem
from routing.plan import Plan, Stats
from routing.problem import (
    Depot,
    Location,
    Problem,
    Stop,
    TimeWindow,
    Vehicle,
    VehicleKind,
)
from routing.readers import read_vrplib
from routing.solve import solve
from routing.validate import schedule, violations

ROOT = Path(__file__).resolve().parent.parent
#: ROUTING.md's 12 representative Solomon instances.
DEFAULT_SOLOMON = [
    "C101", "C201", "R101", "R105", "R112", "R201", "R205",
    "RC101", "RC105", "RC201", "RC205", "RC208",
]  # fmt: skip
DEFAULT_CVRP = ["X-n101-k25", "X-n200-k36", "X-n502-k39"]


@dataclass
class Instance:
    """A named problem and its best-known cost (None if unknown)."""

    name: str
    problem: Problem
    bks: float | None


def solomon_bks(data_dir: Path) -> dict[str, float]:
    """min(BKS, LKH-3) per instance from the LKH-3 results text (×10 units)."""
    out: dict[str, float] = {}
    text = (data_dir / "solomon" / "LKH3_results_Solomon_100.txt").read_text()
    for m in re.finditer(r"^\s*(R?C?\d{3})\.100\.\d+\s+(\d+)\s+(\d+)", text, re.M):
        out[m.group(1)] = min(int(m.group(2)), int(m.group(3))) / 10.0
    return out


def solomon_instances(data_dir: Path, which: str) -> Iterator[Instance]:
    """Solomon CVRPTW files (LKH-3 layout), 25 vehicles."""
    bks = solomon_bks(data_dir)
    files = {p.name.split(".")[0]: p for p in (data_dir / "solomon").glob("*.vrptw")}
    names = (
        sorted(files, key=_solomon_order)
        if which == "all"
        else DEFAULT_SOLOMON
        if which == "default"
        else which.split(",")
    )
    for n in names:
        if n in files:
            yield Instance(n, read_vrplib(files[n]), bks.get(n))


def _solomon_order(name: str) -> tuple[str, int]:
    m = re.match(r"([A-Z]+)(\d+)", name)
    assert m
    return (m.group(1), int(m.group(2)))


def cvrp_instances(data_dir: Path, which: str) -> Iterator[Instance]:
    """CVRPLIB X instances, fleet ceil(1.25 k); BKS from the .sol files."""
    files = {p.stem: p for p in (data_dir / "cvrp").glob("*.vrp")}
    names = (
        sorted(files)
        if which == "all"
        else DEFAULT_CVRP
        if which == "default"
        else which.split(",")
    )
    for n in names:
        if n not in files:
            continue
        sol = files[n].with_suffix(".sol")
        bks = None
        if sol.exists():
            m = re.search(r"Cost\s+(\d+)", sol.read_text())
            bks = float(m.group(1)) if m else None
        yield Instance(n, read_vrplib(files[n]), bks)


def school_day(n: int, seed: int = 1, depots: int = 2) -> Problem:
    """Synthetic delivery day: N schools in a 30 × 30 km metropole (see module doc)."""
    rng = random.Random(seed)
    lat0, lon0 = 48.72, 2.15  # south-west corner near Paris
    dlat = 30_000 / 111_195
    dlon = 30_000 / (111_195 * math.cos(math.radians(lat0 + dlat / 2)))

    def loc() -> Location:
        return Location(lat0 + rng.random() * dlat, lon0 + rng.random() * dlon)

    dep = tuple(
        Depot(f"D{k}", loc(), opens=dtime(7, 30), closes=dtime(18))
        for k in range(depots)
    )
    stops = []
    for i in range(n):
        devices = rng.randint(1, 8) if rng.random() < 0.6 else rng.randint(9, 30)
        win = (
            TimeWindow(dtime(8, 30), dtime(11, 30))
            if rng.random() < 0.5
            else TimeWindow(dtime(13, 30), dtime(16, 30))
        )
        stops.append(
            Stop(
                id=f"S{i}",
                devices=devices,
                location=loc(),
                windows=(win,),
                service_fixed_s=600,
                service_per_device_s=60,
            )
        )
    # Fleet per depot, from the demand of its nearest schools: vans for 1.1 × all of
    # it plus one (single trips: 9-30-device schools pack badly into 40), and cargo
    # bikes for a quarter of the small (<= 8) schools' demand.
    from routing.matrix import haversine_m

    demand = [0] * depots
    small = [0] * depots
    for s in stops:
        assert s.location is not None
        k = min(
            range(depots),
            key=lambda j: haversine_m(s.location, dep[j].location),  # type: ignore[arg-type]
        )
        demand[k] += s.devices
        small[k] += s.devices if s.devices <= 8 else 0
    vehicles = []
    for k in range(depots):
        vans = math.ceil(1.1 * demand[k] / 40) + 1
        bikes = math.ceil(0.25 * small[k] / 8)
        for j in range(vans):
            vehicles.append(
                Vehicle(
                    f"D{k}-van{j}", f"D{k}", 40, VehicleKind.VAN, speed_kmh=25,
                    shift_start=dtime(8), shift_end=dtime(17, 30),
                    cost_per_km=0.30, fixed_cost=50.0,
                )
            )  # fmt: skip
        for j in range(bikes):
            vehicles.append(
                Vehicle(
                    f"D{k}-bike{j}", f"D{k}", 8, VehicleKind.CARGO_BIKE, speed_kmh=15,
                    shift_start=dtime(8), shift_end=dtime(17, 30),
                    cost_per_km=0.10, fixed_cost=12.0,
                )
            )  # fmt: skip
    return Problem(dep, tuple(vehicles), tuple(stops), name=f"school-{n}")


def _cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run_ours(problem: Problem, budget: float, workers: int) -> Plan:
    """routing.solve at this budget."""
    return solve(problem, time_limit_s=budget, workers=workers)


def run_ortools(problem: Problem, budget: float, workers: int) -> Plan:
    """OR-Tools alone: the portfolio on ``workers`` processes, no PyVRP race."""
    return solve(problem, time_limit_s=budget, workers=workers, race=False)


def run_pyvrp(problem: Problem, budget: float, workers: int) -> Plan:
    """PyVRP 0.14 ILS (seed 1, default parameters) on the same integer model."""
    del workers
    c = compile_problem(problem)
    res = _pyvrp.solve(c, time_limit_s=budget)
    stats = Stats("pyvrp", res.strategy, res.status, res.build_s, res.solve_s, 0)
    if res.orders is None:
        raise RuntimeError("PyVRP found no feasible solution")
    plan = schedule(c, res.orders, stats)
    found = violations(c, plan)
    if found:
        raise RuntimeError(f"PyVRP plan invalid: {found[:3]}")
    return plan


SOLVERS: dict[str, Callable[[Problem, float, int], Plan]] = {
    "ours": run_ours,
    "ortools": run_ortools,
    "pyvrp": run_pyvrp,
}


def main() -> None:
    """Run the selected suites and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", default="solomon", help="solomon,cvrp,realistic")
    ap.add_argument("--instances", default="default", help="default|all|A,B,...")
    ap.add_argument("--budgets", default="5,30")
    ap.add_argument("--sizes", default="50,200,1000", help="realistic suite N values")
    ap.add_argument("--solvers", default="ours,pyvrp", help="ours,ortools,pyvrp")
    ap.add_argument("--workers", type=int, default=2, help="processes for ours")
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared/data/routing"))
    ap.add_argument("--jsonl", help="also append one JSON object per row to this file")
    args = ap.parse_args()
    data_dir = Path(args.data_dir)
    budgets = [float(b) for b in args.budgets.split(",")]
    solvers = args.solvers.split(",")
    print(
        f"# machine: {os.cpu_count()} cores,"
        f" {platform.processor() or platform.machine()},"
        f" Python {platform.python_version()}; load avg {os.getloadavg()}"
    )
    print(
        f"# ours = routing.solve(workers={args.workers}): OR-Tools + PyVRP race;"
        f" ortools = OR-Tools portfolio only ({args.workers} processes);"
        " pyvrp = PyVRP alone, 1 process, seed 1"
    )
    hdr = f"{'instance':14} {'budget':>6} {'solver':7} {'cost':>11} {'gap%':>7}"
    hdr += (
        f" {'veh':>4} {'unsrv':>5} {'wall_s':>7} {'cpu_s':>7} {'build_s':>7}  strategy"
    )
    rows: list[dict[str, Any]] = []
    for suite in args.suite.split(","):
        if suite == "solomon":
            insts = list(solomon_instances(data_dir, args.instances))
        elif suite == "cvrp":
            insts = list(cvrp_instances(data_dir, args.instances))
        elif suite == "realistic":
            insts = [
                Instance(f"school-{n}", school_day(int(n)), None)
                for n in args.sizes.split(",")
            ]
        else:
            raise SystemExit(f"unknown suite {suite}")
        print(f"\n## suite {suite}: {len(insts)} instances, budgets {budgets}")
        print(hdr)
        for inst in insts:
            for budget in budgets:
                for name in solvers:
                    w0, c0 = time.perf_counter(), _cpu()
                    try:
                        plan = SOLVERS[name](inst.problem, budget, args.workers)
                    except RuntimeError as exc:
                        print(f"{inst.name:14} {budget:6.0f} {name:7} FAILED {exc}")
                        continue
                    wall, cpu = time.perf_counter() - w0, _cpu() - c0
                    gap = (
                        100.0 * (plan.cost - inst.bks) / inst.bks if inst.bks else None
                    )
                    row = {
                        "suite": suite, "instance": inst.name, "budget": budget,
                        "solver": name, "cost": round(plan.cost, 4), "bks": inst.bks,
                        "gap": gap, "vehicles": plan.vehicles,
                        "unserved": len(plan.unserved), "wall_s": round(wall, 2),
                        "cpu_s": round(cpu, 2), "build_s": plan.stats.build_s,
                        "strategy": plan.stats.strategy,
                        "first_solution_s": plan.stats.extra.get("first_solution_s"),
                    }  # fmt: skip
                    rows.append(row)
                    g = f"{gap:7.2f}" if gap is not None else "      -"
                    print(
                        f"{inst.name:14} {budget:6.0f} {name:7} {plan.cost:11.2f} {g}"
                        f" {plan.vehicles:4d} {len(plan.unserved):5d} {wall:7.2f}"
                        f" {cpu:7.2f} {plan.stats.build_s:7.3f}  {plan.stats.strategy}",
                        flush=True,
                    )
                    if args.jsonl:
                        with open(args.jsonl, "a") as fh:
                            fh.write(json.dumps(row) + "\n")
        _summary(suite, rows, budgets, solvers)


def _summary(
    suite: str, rows: list[dict[str, Any]], budgets: list[float], solvers: list[str]
) -> None:
    print(f"\n### summary {suite}")
    for b in budgets:
        for s in solvers:
            rs = [r for r in rows if r["suite"] == suite and r["budget"] == b]
            mine = [r for r in rs if r["solver"] == s]
            if not mine:
                continue
            gaps = [r["gap"] for r in mine if r["gap"] is not None]
            line = f"budget {b:5.0f}s {s:6} n={len(mine):2d}"
            if gaps:
                line += f" mean gap {sum(gaps) / len(gaps):6.2f}% max {max(gaps):6.2f}%"
            line += f" mean wall {sum(r['wall_s'] for r in mine) / len(mine):6.2f}s"
            line += f" mean cpu {sum(r['cpu_s'] for r in mine) / len(mine):6.2f}s"
            line += f" max build {max(r['build_s'] for r in mine):.3f}s"
            print(line)
        if "ours" in solvers and "pyvrp" in solvers:
            by = {
                (r["instance"], r["solver"]): r["cost"]
                for r in rows
                if r["suite"] == suite and r["budget"] == b
            }
            for inst in sorted({k[0] for k in by}):
                if (inst, "ours") in by and (inst, "pyvrp") in by:
                    d = 100.0 * (by[(inst, "ours")] / by[(inst, "pyvrp")] - 1)
                    print(f"budget {b:5.0f}s {inst}: ours vs pyvrp {d:+.2f}%")


if __name__ == "__main__":
    main()
