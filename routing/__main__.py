"""CLI: ``python -m routing solve FILE [--time-limit S] [--format F]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from routing.plan import Plan
from routing.readers import read
from routing.solve import solve


def _stop_ref(stop_id: str) -> int | str:
    return int(stop_id) if stop_id.isdigit() else stop_id


def plan_summary(plan: Plan) -> dict[str, Any]:
    """The CLI's JSON: cost, vehicles, unserved, stats and routes (stop numbers)."""
    return {
        "cost": round(plan.cost, 6),
        "distance": plan.distance_m,
        "vehicles": plan.vehicles,
        "unserved": [
            {
                "stop": _stop_ref(u.stop_id),
                "reason": str(u.reason),
                "required": u.required,
            }
            for u in plan.unserved
        ],
        "stats": {
            "engine": plan.stats.engine,
            "strategy": plan.stats.strategy,
            "status": plan.stats.status,
            "build_s": plan.stats.build_s,
            "solve_s": plan.stats.solve_s,
            "objective": plan.stats.objective,
            **plan.stats.extra,
        },
        "routes": [[_stop_ref(v.stop_id) for v in r.visits] for r in plan.routes],
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    ap = argparse.ArgumentParser(prog="python -m routing")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("solve", help="solve one instance and print a JSON plan")
    sp.add_argument("file")
    sp.add_argument("--time-limit", type=float, default=10.0)
    sp.add_argument("--format", choices=["solomon", "vrplib", "json"])
    sp.add_argument("--solution-limit", type=int)
    sp.add_argument("--workers", type=int, default=2)
    sp.add_argument("--fleet", type=int, help="override the benchmark fleet size")
    args = ap.parse_args(argv)
    problem = read(args.file, args.format, fleet=args.fleet)
    plan = solve(
        problem,
        time_limit_s=args.time_limit,
        solution_limit=args.solution_limit,
        workers=args.workers,
    )
    json.dump(plan_summary(plan), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
