"""Run the benchmarks: the planner and its two peers on scenarios of several sizes.

    python bench/run.py                       # S M L XL
    python bench/run.py --sizes SH-S SH-L     # the shuttle sizes
    python bench/run.py --sizes S M --time-limit M=20 --json results.json

For each size, three methods run one after the other, each in a subprocess of its own, so
that the peak memory of each run is its own: the dispatcher (`planner.greedy.dispatch`), the
planner (`planner.model.solve`) and the straightforward model
(`planner.model.solve_direct`, "direct"), the last two with the same time limit (unless
`--direct-time-limit` gives the straightforward model one of its own). Every plan
is checked with `planner.check.check_plan`; a plan that breaks a rule is shown as FAILED in
the table. A run that goes over the memory cap or far over its time limit is stopped and
shown as such.

Each run's progress (every better solution the solver reports) is kept, and from it the
time each method took to come within given gaps of the best bound any method proved on
that size; a block of ratios under the table compares the methods (see `compare`).

S is the bundled Tripoli example; M, L, XL, SH-S and SH-L are made by `bench/generate.py`
with the given seed (the same seed is the solvers').
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = ("S", "M", "L", "XL", "SH-S", "SH-L")
DEFAULT_SIZES = ("S", "M", "L", "XL")
DEFAULT_LIMITS = {"S": 60.0, "M": 60.0, "L": 120.0, "XL": 180.0, "SH-S": 20.0, "SH-L": 120.0}
METHODS = ("greedy", "planner", "direct")
OBJECTIVES = ("evacuated", "exposure", "arrival", "makespan")
MAXIMISED = ("evacuated",)
GAP_LEVELS = (10.0, 2.0, 1.0, 0.5)
"""Gaps (percent) at which the time to gap is measured."""
OVER = 1.0
"""Seconds past the time limit that count as an overrun in the table."""


# --------------------------------------------------------------------------------------
# The worker: one method on one scenario, in its own process


def _status_kb(field: str, pid: int | str = "self") -> int:
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), or 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.started = time.perf_counter()

    def emit(self, record: logging.LogRecord) -> None:
        elapsed = time.perf_counter() - self.started
        self.lines.append(f"{elapsed:8.2f}s {record.name}: {record.getMessage()}")


def worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run.py --worker")
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("scenario")
    parser.add_argument("result")
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--plan-out")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from planner.check import check_plan
    from planner.plan import plan_to_dict
    from planner.read import read_scenario

    log = _Collect()
    logging.getLogger("planner").addHandler(log)
    logging.getLogger("planner").setLevel(logging.INFO)

    result: dict = {"method": args.method}
    t = time.perf_counter()
    scenario = read_scenario(args.scenario)
    result["read_seconds"] = round(time.perf_counter() - t, 3)
    result["people"] = scenario.people
    result["groups"] = len(scenario.groups)
    result["vehicles"] = len(scenario.vehicles)
    result["services"] = len(scenario.services)
    result["read_peak_mb"] = round(_status_kb("VmHWM") / 1024, 1)

    result["objectives"] = list(scenario.objective)

    import planner.greedy
    import planner.model

    if args.method == "direct" and not hasattr(planner.model, "solve_direct"):
        result["unavailable"] = "planner.model has no solve_direct"
        Path(args.result).write_text(json.dumps(result, indent=1, default=str))
        return 0

    trace: list[dict] = []

    def progress(stage: str, elapsed: float, value: float, bound: float) -> None:
        # elapsed is the solver's own clock; `seconds` counts from the call, like the table
        trace.append(
            {
                "stage": stage,
                "seconds": round(time.perf_counter() - t, 3),
                "solver_seconds": round(float(elapsed), 3),
                "value": _finite(value),
                "bound": _finite(bound),
            }
        )

    log.started = time.perf_counter()
    t = time.perf_counter()
    if args.method in ("planner", "direct"):
        params = planner.model.SolveParameters(
            time_limit=args.time_limit, workers=args.workers, seed=args.seed, progress=progress
        )
        if args.method == "planner":
            dispatch = planner.greedy.dispatch

            def timed_dispatch(*a: object, **k: object) -> object:
                # the planner starts from the dispatcher's plan: when it has that plan is a
                # point of its progress as well
                start = dispatch(*a, **k)  # type: ignore[arg-type]
                trace.append(
                    {
                        "stage": "dispatcher",
                        "seconds": round(time.perf_counter() - t, 3),
                        "objective": dict(start.objective),
                    }
                )
                return start

            planner.greedy.dispatch = timed_dispatch  # type: ignore[assignment]
            try:
                plan = planner.model.solve(scenario, params)
            finally:
                planner.greedy.dispatch = dispatch
        else:
            plan = planner.model.solve_direct(scenario, params)
    else:
        plan = planner.greedy.dispatch(scenario, seed=args.seed)
    result["seconds"] = round(time.perf_counter() - t, 3)
    result["trace"] = trace
    # with the second dispatcher's process (`planner.model._Rival`), which has ended by
    # now: the sum of the two peaks, an upper bound of the two together
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_mb"] = round((_status_kb("VmHWM") + children) / 1024, 1)

    data = plan_to_dict(plan, scenario)
    t = time.perf_counter()
    violations = check_plan(scenario, data)
    result["check_seconds"] = round(time.perf_counter() - t, 3)
    result["violations"] = len(violations)
    result["violation_messages"] = [str(v) for v in violations[:20]]
    result["status"] = plan.status
    result["objective"] = plan.objective
    result["bound"] = plan.bound
    result["stats"] = {k: v for k, v in plan.stats.items() if k != "gap"}
    counts = {"evacuated": 0, "safe": 0, "left_behind": 0}
    for g in plan.groups:
        counts[g.status] += g.people
    result["outcome"] = counts
    result["log"] = log.lines[-40:]
    if args.plan_out:
        Path(args.plan_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.plan_out).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    Path(args.result).write_text(json.dumps(result, indent=1, default=str))
    return 0


def _finite(x: object) -> float | None:
    """`x` as a float, or None when it is missing, NaN or infinite (JSON has neither)."""
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------------------
# The parent: generate, run one at a time, watch, tabulate


def run_one(
    method: str,
    scenario: Path,
    time_limit: float,
    seed: int,
    workers: int,
    max_memory_mb: float,
    hard_limit: float,
    plan_out: Path | None,
) -> dict:
    """Run one method on one scenario in a subprocess and return its record."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        err_file = Path(tmp) / "stderr.txt"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            method,
            str(scenario),
            str(result_file),
            "--time-limit",
            str(time_limit),
            "--seed",
            str(seed),
            "--workers",
            str(workers),
        ]
        if plan_out is not None:
            cmd += ["--plan-out", str(plan_out)]
        load = [round(x, 2) for x in os.getloadavg()]
        started = time.monotonic()
        with open(err_file, "w") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        watched_peak_kb = 0
        stopped = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = _status_kb("VmRSS", proc.pid)
            watched_peak_kb = max(watched_peak_kb, rss)
            elapsed = time.monotonic() - started
            if rss > max_memory_mb * 1024:
                stopped = f"stopped: memory over {max_memory_mb:,.0f} MB after {elapsed:.0f} s"
            elif elapsed > hard_limit:
                stopped = f"stopped: still running after {elapsed:.0f} s"
            if stopped:
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - started
        record: dict = {}
        if result_file.exists():
            record = json.loads(result_file.read_text())
        record["method"] = method
        record["time_limit"] = time_limit
        record["process_seconds"] = round(elapsed, 2)
        record["process_peak_mb"] = round(max(usage.ru_maxrss, watched_peak_kb) / 1024, 1)
        record["exit"] = proc.returncode
        record["load_average_before"] = load
        if stopped:
            record["error"] = stopped
            record.setdefault("seconds", round(elapsed, 2))
            record.setdefault("peak_mb", record["process_peak_mb"])
        elif proc.returncode != 0 or ("status" not in record and "unavailable" not in record):
            tail = err_file.read_text(errors="replace").strip().splitlines()[-15:]
            why = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit {proc.returncode}"
            errors = [line for line in tail if "Error" in line or "Exception" in line]
            last = errors[-1] if errors else tail[-1] if tail else ""
            record["error"] = f"crashed ({why}): {last}"
            record["stderr"] = tail
            record.setdefault("seconds", round(elapsed, 2))
            record.setdefault("peak_mb", record["process_peak_mb"])
        if "objective" in record:
            record["gap"] = gaps(record["objective"], record.get("bound", {}))
        return record


def gaps(objective: dict, bound: dict) -> dict:
    """Relative gap of each bounded objective: |value - bound| / |value| (0 when both are 0)."""
    out = {}
    for name, b in bound.items():
        v = objective.get(name)
        if v is None or b is None:
            continue
        v, b = float(v), float(b)
        out[name] = 0.0 if abs(v - b) < 1e-9 else abs(v - b) / max(1e-9, abs(v))
    return out


def scenario_file(size: str, seed: int, folder: Path) -> Path:
    if size == "S":
        return ROOT / "scenarios" / "tripoli-2013.yaml"
    sys.path.insert(0, str(HERE))
    import generate

    path = folder / f"{size}-seed{seed}.yaml"
    text = generate.generate(size, seed)
    generate.check(text, size)
    folder.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def scenario_people(path: Path) -> int:
    sys.path.insert(0, str(ROOT))
    from planner.read import read_scenario

    return read_scenario(path).people


def machine() -> dict:
    info: dict = {"cores": os.cpu_count(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gb"] = round(int(line.split()[1]) / 2**20, 1)
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        import ortools

        info["ortools"] = getattr(ortools, "__version__", "?")
    except ImportError:
        pass
    try:
        rev = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if rev.returncode == 0:
            info["revision"] = rev.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return info


# --------------------------------------------------------------------------------------
# The comparison: best bounds, gaps, time to gap, ratios


def _ok(r: dict) -> bool:
    """True for a run that returned a plan keeping every rule."""
    return (
        "error" not in r
        and "unavailable" not in r
        and "objective" in r
        and r.get("violations", 0) == 0
    )


def _order(r: dict) -> list[str]:
    """The objectives of the run's scenario, first first.

    Files saved before the objectives were recorded had only S, M, L and XL, whose
    objective is [evacuated, exposure, arrival].
    """
    return list(r.get("objectives") or ("evacuated", "exposure", "arrival"))


def gap(value: object, bound: object) -> float | None:
    """|value - bound| / |value| (0 when equal; infinite when the value is 0 and the bound not)."""
    v, b = _finite(value), _finite(bound)
    if v is None or b is None:
        return None
    if abs(v - b) < 1e-9:
        return 0.0
    return abs(v - b) / abs(v) if abs(v) > 1e-9 else math.inf


def _key(r: dict) -> tuple:
    """Sort key of a run's plan in its objective order: smaller is better."""
    key = []
    for name in _order(r):
        v = _finite(r["objective"].get(name))
        if v is None:  # no value: makespan of a plan that evacuates nobody
            key.append(math.inf)
        else:
            key.append(-v if name in MAXIMISED else v)
    return tuple(key)


def _same(a: object, b: object) -> bool:
    x, y = _finite(a), _finite(b)
    return x is not None and y is not None and abs(x - y) <= 1e-6


def compare(runs: list[dict], levels: tuple[float, ...] = GAP_LEVELS) -> dict:
    """The comparison of the methods run on one size.

    The best plan is the lexicographically best plan of any method that keeps every rule.
    Objectives are solved in order, each with the earlier ones kept, so a bound of a later
    objective is a bound of the scenario only once the earlier ones are proven optimal.
    Hence, in objective order: the best bound of an objective is the tightest bound stated
    by a run whose plan equals the best plan on every earlier objective; an objective is
    closed when the best plan meets its best bound; and gaps are measured against the best
    bounds, up to the first objective that is not closed (the gap objective; the last one
    when all are closed). A run worse than the best plan on an objective before the gap
    objective gets a note instead of times.

    The time to a gap is the first moment, from the start of the call, at which the
    method had a plan within that gap on the gap objective: a solution of that stage
    reported by the solver, the dispatcher's plan inside the planner, or the plan returned.
    A gap counts as reached only when the plan returned reaches it too.
    """
    good = [r for r in runs if _ok(r)]
    out: dict = {"best_bound": {}, "bound_from": {}, "gap": {}, "time_to_gap": {}, "note": {}}
    if not good:
        return out
    order = _order(good[0])
    best = min(good, key=_key)
    out["best"] = {"method": best["method"], "objective": best["objective"]}

    def prefix_ok(objective: dict, k: int) -> bool:
        return all(_same(objective.get(n), best["objective"].get(n)) for n in order[:k])

    target = len(order) - 1
    for k, name in enumerate(order):
        for r in good:
            b = _finite(r.get("bound", {}).get(name))
            if b is None or not prefix_ok(r["objective"], k):
                continue
            have = out["best_bound"].get(name)
            tighter = have is None or (b < have - 1e-9 if name in MAXIMISED else b > have + 1e-9)
            if tighter:
                out["best_bound"][name] = b
                out["bound_from"][name] = [r["method"]]
            elif abs(b - have) <= 1e-9:
                out["bound_from"][name].append(r["method"])
        if not _same(best["objective"].get(name), out["best_bound"].get(name)):
            target = k
            break
    name = order[target]
    out["gap_objective"] = name
    out["closed"] = order[:target] + (
        [name]
        if target == len(order) - 1
        and _same(best["objective"].get(name), out["best_bound"].get(name))
        else []
    )
    bound = out["best_bound"].get(name)
    for r in good:
        m = r["method"]
        out["gap"][m] = {}
        for k, objective in enumerate(order[: target + 1]):
            g = None
            if objective in out["best_bound"] and prefix_ok(r["objective"], k):
                g = gap(r["objective"].get(objective), out["best_bound"][objective])
            out["gap"][m][objective] = g
        worse = [n for k, n in enumerate(order[:target]) if not prefix_ok(r["objective"], k + 1)]
        if worse:
            out["note"][m] = f"worse on {worse[0]}"
        final = out["gap"][m][name]
        points = [] if worse or bound is None else _points(r, best["objective"], name)
        reached: dict[str, float | None] = {}
        for level in levels:
            reached[f"{level:g}"] = None
            if final is None or final * 100 > level + 1e-9:
                continue
            for seconds, value in points:
                g = gap(value, bound)
                if g is not None and g * 100 <= level + 1e-9:
                    reached[f"{level:g}"] = seconds
                    break
        out["time_to_gap"][m] = reached
    return out


def _json_safe(value: object) -> object:
    """`value` with every infinite or NaN float replaced by None (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _pct(g: float | None) -> str:
    if g is None:
        return "-"
    if math.isinf(g) or g >= 10:
        return ">999%"
    return f"{100 * g:.2f}%"


def _secs(s: float | None) -> str:
    return "-" if s is None else f"{s:,.1f}"


def ratio_lines(size: str, runs: list[dict], cmp: dict, levels: tuple[float, ...]) -> list[str]:
    """The ratio block of one size: best bounds, objectives against the dispatcher, and the
    planner against the straightforward model in time to gap."""
    lines: list[str] = []
    if not cmp.get("best_bound"):
        return lines
    good = {r["method"]: r for r in runs if _ok(r)}
    order = _order(next(iter(good.values())))
    shown = [
        f"{n} {_num(cmp['best_bound'][n])} ({', '.join(cmp['bound_from'][n])})"
        for n in order
        if n in cmp["best_bound"]
    ]
    lines.append(f"{size}: best bounds: " + "; ".join(shown))
    name = cmp["gap_objective"]
    if cmp["closed"]:
        closed = ", ".join(cmp["closed"])
        lines.append(f"{size}: proven optimal: {closed}; times to gap are on {name}")
    else:
        lines.append(f"{size}: nothing proven optimal; times to gap are on {name}")
    greedy = good.get("greedy")
    if greedy:
        for k, name in enumerate(order):
            g = _finite(greedy["objective"].get(name))
            parts = []
            for m in ("planner", "direct"):
                if m not in good:
                    continue
                differs = [
                    n
                    for n in order[:k]
                    if not _same(good[m]["objective"].get(n), greedy["objective"].get(n))
                ]
                v = _finite(good[m]["objective"].get(name))
                if differs:
                    # a later objective is comparable only between plans equal on the earlier
                    parts.append(f"{m} n/a (differs on {differs[0]})")
                elif v is not None and g:
                    parts.append(f"{m} {100 * (v - g) / abs(g):+.1f}%")
                elif v is not None and v == g:
                    parts.append(f"{m} +0.0%")
            if parts:
                lines.append(f"{size}: {name} vs greedy: " + ", ".join(parts))
    t = cmp["time_to_gap"]
    direct = next((r for r in runs if r["method"] == "direct"), None)
    if "planner" in t and direct is not None and "unavailable" in direct:
        lines.append(f"{size}: planner vs direct: n/a (planner.model has no solve_direct)")
    elif "planner" in t and direct is not None:
        # a direct run that was stopped or crashed had no plan within any gap
        p_run = good["planner"]
        reached = t.get("direct", {})
        parts = []
        for level in levels:
            key = f"{level:g}"
            parts.append(f"{key}% " + _versus(t["planner"][key], reached.get(key), p_run, direct))
        lines.append(f"{size}: seconds to gap, planner vs direct: " + "; ".join(parts))
        gp = cmp["gap"]["planner"].get(name)
        gd = cmp["gap"].get("direct", {}).get(name)
        if gp is not None and gd is not None and not math.isinf(max(gp, gd)):
            both = max(gp, gd)
            # the time at which each first had a plan within the gap both reached
            tp = _first_within(p_run, cmp, both)
            td = _first_within(direct, cmp, both)
            lines.append(
                f"{size}: planner vs direct, to the gap both reached ({_pct(both)}): "
                + _versus(tp, td, p_run, direct)
            )
        elif "error" in direct:
            lines.append(f"{size}: direct had no plan: {direct['error']}")
    return lines


def _points(r: dict, best: dict, name: str) -> list[tuple[float, float]]:
    """(seconds, value of objective `name`) of each plan the run had, in time order.

    The points are the solutions of that stage the solver reported, the dispatcher's plan
    inside the planner when it equals the best plan `best` on every earlier objective, and
    the plan returned.
    """
    order = _order(r)
    earlier = order[: order.index(name)]
    points = []
    for p in r.get("trace", []):
        if p.get("stage") == name:
            value = _finite(p.get("value"))
        elif p.get("stage") == "dispatcher" and all(
            _same(p["objective"].get(n), best.get(n)) for n in earlier
        ):
            value = _finite(p["objective"].get(name))
        else:
            continue
        if value is not None:
            points.append((float(p["seconds"]), value))
    value = _finite(r["objective"].get(name))
    if value is not None:
        points.append((float(r["seconds"]), value))
    return sorted(points, key=lambda x: x[0])


def _first_within(r: dict, cmp: dict, within: float) -> float | None:
    """First second at which the run had a plan within `within` of the best bound."""
    if r["method"] in cmp["note"]:
        return None
    name = cmp["gap_objective"]
    bound = cmp["best_bound"].get(name)
    for seconds, value in _points(r, cmp["best"]["objective"], name):
        g = gap(value, bound)
        if g is not None and g <= within + 1e-12:
            return seconds
    return None


def _versus(tp: float | None, td: float | None, p_run: dict, d_run: dict) -> str:
    """Planner's and direct's seconds and their ratio: "2.1 vs 40.3 (19.2x)", "2.1 vs
    none in 60.4 (>28.8x)", "none in 20.3 vs 5.0", or "neither"."""
    if tp is not None and td is not None:
        ratio = f"{td / tp:,.1f}x" if tp > 0 else "-"
        return f"{tp:,.1f} vs {td:,.1f} ({ratio})"
    if tp is not None:
        ds = float(d_run.get("seconds", 0))
        more = f" (>{ds / tp:,.1f}x)" if tp > 0 else ""
        return f"{tp:,.1f} vs none in {ds:,.1f}{more}"
    if td is not None:
        return f"none in {float(p_run.get('seconds', 0)):,.1f} vs {td:,.1f}"
    return "neither"


# --------------------------------------------------------------------------------------
# The table


def _num(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():  # type: ignore[arg-type]
        return f"{int(float(value)):,}"  # type: ignore[arg-type]
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def rows(
    runs: list[dict], levels: tuple[float, ...] = GAP_LEVELS
) -> tuple[list[str], list[list[str]], list[str], list[str]]:
    """Header, rows, notes and ratio lines of the results table."""
    header = [
        "size",
        "people",
        "method",
        "seconds",
        "peak MB",
        "status",
        "plan from",
        "check",
        *[f"{name} (gap)" for name in OBJECTIVES],
        "own bounds",
        "s to gap " + " / ".join(f"{level:g}%" for level in levels),
    ]
    sizes = list(dict.fromkeys(r["size"] for r in runs))
    comparisons = {s: compare([r for r in runs if r["size"] == s], levels) for s in sizes}
    body: list[list[str]] = []
    notes: list[str] = []
    ratios: list[str] = []
    for r in runs:
        cmp = comparisons[r["size"]]
        if "unavailable" in r:
            body.append(
                [r["size"], _num(r.get("people")), r["method"], "n/a", "n/a", "n/a", "-", "-"]
                + ["n/a"] * (len(OBJECTIVES) + 2)
            )
            continue
        obj = r.get("objective", {})
        seconds = f"{r.get('seconds', 0):,.1f}"
        over = r.get("seconds", 0) > r["time_limit"] + OVER
        if r["method"] != "greedy" and over and "error" not in r:
            seconds += f" (limit {r['time_limit']:g}!)"
            notes.append(
                f"{r['size']} {r['method']}: {r['seconds']:.1f} s, over its time limit of "
                f"{r['time_limit']:g} s by {r['seconds'] - r['time_limit']:.1f} s"
            )
        if "error" in r:
            if r["error"].startswith("crashed"):
                status = "CRASHED"
            elif "memory" in r["error"]:
                status = "STOPPED: memory"
            else:
                status = "STOPPED: time"
            check = "-"
            notes.append(f"{r['size']} {r['method']}: {r['error']}")
        else:
            status = r["status"]
            check = "ok" if r["violations"] == 0 else f"FAILED: {r['violations']} broken rules"
            if r["violations"]:
                notes.append(f"{r['size']} {r['method']}: the plan breaks {r['violations']} rules:")
                notes.extend("    " + m for m in r["violation_messages"][:5])
        cells = [
            r["size"],
            _num(r.get("people")),
            r["method"],
            seconds,
            _num(r.get("peak_mb"), 0),
            status,
            source(r),
            check,
        ]
        own_gap = cmp["gap"].get(r["method"], {})
        for name in OBJECTIVES:
            cell = _num(obj.get(name)) if name in obj else "-"
            if own_gap.get(name) is not None:
                cell += f" ({_pct(own_gap[name])})"
            cells.append(cell)
        bounds = r.get("bound", {})
        cells.append(" / ".join(_num(bounds[n]) for n in _order(r) if n in bounds) or "-")
        reached = cmp["time_to_gap"].get(r["method"])
        if r["method"] in cmp["note"]:
            cells.append(cmp["note"][r["method"]])
        elif reached is None:
            cells.append("-")
        else:
            cells.append(" / ".join(_secs(reached[f"{level:g}"]) for level in levels))
        body.append(cells)
    for s in sizes:
        ratios.extend(ratio_lines(s, [r for r in runs if r["size"] == s], comparisons[s], levels))
    return header, body, notes, ratios


def source(r: dict) -> str:
    """Which step made the plan: `cp-sat`, `guided dispatcher` (guided by the relaxation),
    or `dispatcher` (the planner kept its plan); `+ rescue` when families left behind were
    then taken home in the room it left (`planner.rescue`), `+ exchanges` when families
    took one another's way on (`planner.exchange`)."""
    if "error" in r:
        return "-"
    stats = r.get("stats", {})
    method = str(stats.get("method", ""))
    if method.startswith("greedy guided"):
        made = "guided dispatcher"
    elif method.startswith("greedy"):
        made = "dispatcher"
    else:
        for done in (", ways on exchanged", ", families left behind taken home"):
            method = method.removesuffix(done)
        made = method or "?"
    if stats.get("rescued"):
        made += " + rescue"
    return made + " + exchanges" if stats.get("exchanges") else made


def print_table(
    runs: list[dict], markdown: bool = False, levels: tuple[float, ...] = GAP_LEVELS
) -> None:
    """Print the table of `runs`, then its notes and the ratio block."""
    header, body, notes, ratios = rows(runs, levels)
    status_col, check_col = header.index("status"), header.index("check")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" --- " for _ in header) + "|")
        for cells in body:
            shown = [c.replace("|", "/") for c in cells]
            for i in (status_col, check_col):
                if shown[i].startswith(("FAILED", "CRASHED", "STOPPED")):
                    shown[i] = f"**{shown[i]}**"
            print("| " + " | ".join(shown) + " |")
        for n in notes:
            print(f"\n{n}" if not n.startswith("    ") else n)
        if ratios:
            print()
            for line in ratios:
                print(f"- {line}")
        return
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text
        widths = [max(len(h), *(len(c[i]) for c in body)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for cells in body:
            print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
        for n in notes:
            print(n)
        print()
        for line in ratios:
            print(line)
        return
    console = Console(width=max(220, Console().width), highlight=False)
    table = Table(title="Benchmarks", show_lines=False)
    for h in header:
        left = h in ("size", "method", "status", "plan from", "check")
        table.add_column(h, justify="left" if left else "right")
    for cells in body:
        styled = list(cells)
        if cells[check_col].startswith("FAILED"):
            styled[check_col] = f"[bold red]{cells[check_col]}[/]"
        if cells[status_col].startswith(("CRASHED", "STOPPED")):
            styled[status_col] = f"[bold red]{cells[status_col]}[/]"
        if "!" in cells[3]:
            styled[3] = f"[bold yellow]{cells[3]}[/]"
        table.add_row(*styled)
    console.print(table)
    for n in notes:
        console.print(n, markup=False, style="bold red" if "FAILED" in n or "broken" in n else "")
    if ratios:
        console.print()
        for line in ratios:
            console.print(line, markup=False)


def parse_limits(
    items: list[str] | None, base: dict[str, float] | None = None, option: str = "--time-limit"
) -> dict[str, float]:
    limits = dict(DEFAULT_LIMITS if base is None else base)
    for item in items or []:
        if "=" in item:
            size, _, seconds = item.partition("=")
            if size.upper() not in SIZES:
                raise SystemExit(f"{option}: unknown size {size!r}")
            limits[size.upper()] = float(seconds)
        else:
            limits = {s: float(item) for s in SIZES}
    return limits


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    parser = argparse.ArgumentParser(
        description="Benchmark the planner against the dispatcher and the straightforward "
        "model at sizes S, M, L, XL and the shuttle sizes SH-S, SH-L."
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=list(DEFAULT_SIZES),
        type=str.upper,
        choices=SIZES,
        metavar="SIZE",
        help="sizes to run: S M L XL SH-S SH-L (default: S M L XL)",
    )
    parser.add_argument(
        "--time-limit",
        nargs="+",
        metavar="[SIZE=]SECONDS",
        help="time limit of the planner and the straightforward model: one number for every "
        "size, or SIZE=SECONDS pairs (defaults "
        + " ".join(f"{s}={v:g}" for s, v in DEFAULT_LIMITS.items())
        + ")",
    )
    parser.add_argument(
        "--direct-time-limit",
        nargs="+",
        metavar="[SIZE=]SECONDS",
        help="a time limit of its own for the straightforward model, as --time-limit (sizes "
        "not named keep the planner's): how long it takes to a gap the planner reaches in "
        "its time, when that is more",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        default=list(METHODS),
        choices=METHODS,
        help="greedy: the dispatcher; planner: planner.model.solve; direct: the "
        "straightforward model, planner.model.solve_direct (default: all three)",
    )
    parser.add_argument(
        "--gap-levels",
        nargs="+",
        type=float,
        default=list(GAP_LEVELS),
        metavar="PERCENT",
        help="gaps at which the time to gap is measured (default 10 2 1 0.5)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator and solver seed (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads (default 2)")
    parser.add_argument("--json", metavar="FILE", help="save the results as JSON")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--scenarios",
        default=str(HERE / "out" / "scenarios"),
        metavar="DIR",
        help="where generated scenarios are written (default bench/out/scenarios)",
    )
    parser.add_argument("--plans", metavar="DIR", help="also save each plan.json here")
    parser.add_argument(
        "--max-memory",
        type=float,
        default=12000,
        metavar="MB",
        help="stop a run whose resident memory goes over this (default 12000)",
    )
    parser.add_argument(
        "--stop-after",
        type=float,
        default=2.5,
        metavar="FACTOR",
        help="stop a run still going after FACTOR x its time limit + 60 s (default 2.5)",
    )
    parser.add_argument(
        "--report", metavar="FILE", help="print the table of a saved --json file and run nothing"
    )
    args = parser.parse_args(argv)

    if args.report:
        saved = json.loads(Path(args.report).read_text())
        print_table(saved["runs"], args.markdown, tuple(args.gap_levels))
        return 0

    limits = parse_limits(args.time_limit)
    direct_limits = parse_limits(args.direct_time_limit, limits, "--direct-time-limit")
    info = machine()
    started = datetime.now(UTC).astimezone()
    results = {
        "date": started.isoformat(timespec="seconds"),
        "machine": info,
        "seed": args.seed,
        "runs": [],
    }
    print(
        f"{info.get('cpu', '?')}, {info.get('cores')} cores, {info.get('ram_gb')} GB; "
        f"revision {info.get('revision', '?')}",
        file=sys.stderr,
    )
    failed = False
    for size in args.sizes:
        path = scenario_file(size, args.seed, Path(args.scenarios))
        people = scenario_people(path)
        for method in args.methods:
            limit = (direct_limits if method == "direct" else limits)[size]
            # the dispatcher has no time limit of its own: it gets the same allowance
            hard = args.stop_after * limit + 60
            print(f"{size} {method} (time limit {limit:g} s) ...", file=sys.stderr, flush=True)
            plan_out = None
            if args.plans:
                plan_out = Path(args.plans) / f"{size}-{method}.json"
            record = run_one(
                method, path, limit, args.seed, args.workers, args.max_memory, hard, plan_out
            )
            record["size"] = size
            record["scenario"] = path.name
            record.setdefault("people", people)
            results["runs"].append(record)
            failed |= "error" in record or record.get("violations", 0) > 0
            if "unavailable" in record:
                done = f"  n/a: {record['unavailable']}"
            else:
                done = (
                    f"  {record.get('seconds', 0):.1f} s, {record.get('peak_mb', 0):,.0f} MB, "
                    + (
                        record["error"]
                        if "error" in record
                        else f"{record['status']}, {record['violations']} broken rules"
                    )
                )
            print(done, file=sys.stderr, flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    after = machine().get("revision")
    if after != info.get("revision"):
        # the code changed while the benchmarks ran: say so
        results["machine"]["revision_after"] = after
        print(
            f"the revision changed during the run: {info.get('revision')} -> {after}",
            file=sys.stderr,
        )
    levels = tuple(args.gap_levels)
    results["gap_levels"] = list(levels)
    results["comparison"] = _json_safe(
        {
            size: compare([r for r in results["runs"] if r["size"] == size], levels)
            for size in args.sizes
        }
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print_table(results["runs"], args.markdown, levels)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
