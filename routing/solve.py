"""``solve``: compile, run the portfolio, validate, return the best valid plan."""

from __future__ import annotations

import importlib.util
import multiprocessing
import time as _time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace

from routing import _ortools
from routing._ortools import OrtoolsConfig
from routing.matrix import MatrixProvider
from routing.model import Compiled, RawResult, compile_problem
from routing.plan import Plan, Stats
from routing.problem import Problem
from routing.validate import InvalidPlan, schedule, violations

#: Portfolio, one entry per worker (process). Chosen by measurement (docs/routing.md).
DEFAULT_PORTFOLIO: tuple[OrtoolsConfig, ...] = (
    OrtoolsConfig("PATH_CHEAPEST_ARC", "GUIDED_LOCAL_SEARCH"),
    OrtoolsConfig("SAVINGS", "GUIDED_LOCAL_SEARCH"),
    OrtoolsConfig("PARALLEL_CHEAPEST_INSERTION", "GUIDED_LOCAL_SEARCH"),
)


class Infeasible(Exception):
    """Raised by ``solve(..., strict=True)`` when required stops stay unserved."""

    def __init__(self, plan: Plan) -> None:
        ids = ", ".join(
            f"{u.stop_id} ({u.reason})" for u in plan.unserved if u.required
        )
        super().__init__(f"required stops unserved: {ids}")
        self.plan = plan


@dataclass(frozen=True, slots=True)
class _Job:
    config: OrtoolsConfig | None  # None: PyVRP
    seed: int = 1


def _run(
    job: _Job, c: Compiled, time_limit_s: float, solution_limit: int | None
) -> RawResult:
    if job.config is None:
        from routing import _pyvrp

        iterations = None if solution_limit is None else 20 * solution_limit
        return _pyvrp.solve(
            c, time_limit_s=time_limit_s, seed=job.seed, max_iterations=iterations
        )
    return _ortools.solve(
        c, time_limit_s=time_limit_s, solution_limit=solution_limit, config=job.config
    )


def _jobs(
    c: Compiled,
    workers: int,
    portfolio: Sequence[OrtoolsConfig],
    race: bool,
    seed: int,
) -> list[_Job]:
    """OR-Tools first; PyVRP on the second worker when it can model the problem."""
    jobs = [_Job(portfolio[0])]
    rest = list(portfolio[1:])
    if workers >= 2 and race and _pyvrp_usable(c):
        jobs.append(_Job(None, seed))
    while len(jobs) < workers and rest:
        jobs.append(_Job(rest.pop(0)))
    return jobs


def _pyvrp_usable(c: Compiled) -> bool:
    if importlib.util.find_spec("pyvrp") is None:
        return False
    from routing import _pyvrp

    return _pyvrp.can_model(c)


def _key(plan: Plan) -> tuple[int, float]:
    return (sum(u.required for u in plan.unserved), plan.cost + plan.penalty)


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    solution_limit: int | None = None,
    provider: MatrixProvider | None = None,
    workers: int = 2,
    portfolio: Sequence[OrtoolsConfig] = DEFAULT_PORTFOLIO,
    race: bool = True,
    seed: int = 1,
    strict: bool = False,
) -> Plan:
    """Plan the day within ``time_limit_s`` seconds of wall-clock time.

    Runs up to ``workers`` engines in parallel processes and keeps the best plan
    that passes the independent validator: OR-Tools with ``portfolio[0]``, then (with
    ``race``) PyVRP if installed, then the other portfolio entries. With
    ``solution_limit`` OR-Tools stops after that many solutions and PyVRP after 20 ×
    that many iterations
    (deterministic; the time limit stays as a safety cap). Unserved stops are listed
    with a reason; with ``strict`` an unserved required stop raises ``Infeasible``.
    """
    t0 = _time.perf_counter()
    c = compile_problem(problem, provider)
    compile_s = _time.perf_counter() - t0
    # Keep a little time for forking, scheduling and validating the plans.
    budget = max(0.05, time_limit_s - compile_s - (0.05 + 0.01 * time_limit_s))
    jobs = _jobs(c, workers, portfolio, race, seed)
    results: list[RawResult] = []
    tried: list[dict[str, object]] = []
    if not problem.vehicles or all(
        n in c.excluded for n in range(c.n_depots, c.n_nodes)
    ):
        empty: list[list[int]] = [[] for _ in problem.vehicles]
        results.append(RawResult(empty, "NOTHING_TO_ROUTE", 0, 0.0, 0.0, "none"))
    elif len(jobs) == 1:
        results.append(_run(jobs[0], c, budget, solution_limit))
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(jobs) - 1, mp_context=ctx) as pool:
            futures: list[Future[RawResult]] = [
                pool.submit(_run, job, c, budget, solution_limit) for job in jobs[1:]
            ]
            results.append(_run(jobs[0], c, budget, solution_limit))
            for job, f in zip(jobs[1:], futures, strict=True):
                try:
                    results.append(f.result())
                except Exception as exc:  # a racer failing must not lose our plan
                    name = job.config.name if job.config else "pyvrp-ils"
                    tried.append({"strategy": name, "status": f"ERROR {exc!r}"})
    best: Plan | None = None
    problems: list[str] = []
    for res in results:
        tried.append(
            {"strategy": res.strategy, "status": res.status, "objective": res.objective}
        )
        if res.orders is None:
            continue
        stats = Stats(
            engine="pyvrp" if res.strategy.startswith("pyvrp") else "ortools",
            strategy=res.strategy,
            status=res.status,
            build_s=round(compile_s + res.build_s, 4),
            solve_s=round(res.solve_s, 4),
            objective=res.objective,
            extra={"first_solution_s": res.first_solution_s},
        )
        plan = schedule(c, res.orders, stats, starts=res.starts)
        found = violations(c, plan)
        if found:
            problems.extend(f"{res.strategy}: {v}" for v in found)
            continue
        if best is None or _key(plan) < _key(best):
            best = plan
    if best is None:
        if problems:
            raise InvalidPlan(problems)
        raise RuntimeError(f"no engine returned a plan: {tried}")
    best = replace(
        best,
        stats=replace(
            best.stats,
            extra={
                **best.stats.extra,
                "runs": tried,
                "wall_s": _time.perf_counter() - t0,
            },
        ),
    )
    if strict and not best.feasible:
        raise Infeasible(best)
    return best
