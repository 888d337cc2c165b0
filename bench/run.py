"""Run the benchmarks: the planner and the dispatcher on scenarios of four sizes.

    python bench/run.py                       # S M L XL
    python bench/run.py --sizes S M --time-limit M=20 --json results.json

For each size, the dispatcher (`planner.greedy.dispatch`) and then the planner
(`planner.model.solve`) run one after the other, each in a subprocess of its own, so that the
peak memory of each run is its own. Every plan is checked with `planner.check.check_plan`; a
plan that breaks a rule is shown as FAILED in the table. A run that goes over the memory cap
or far over its time limit is stopped and shown as such.

S is the bundled Tripoli example; M, L and XL are made by `bench/generate.py` with the given
seed (the same seed is the solver's).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = ("S", "M", "L", "XL")
DEFAULT_LIMITS = {"S": 60.0, "M": 60.0, "L": 120.0, "XL": 180.0}
METHODS = ("greedy", "planner")
OBJECTIVES = ("evacuated", "exposure", "arrival")
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

    log.started = time.perf_counter()
    t = time.perf_counter()
    if args.method == "planner":
        from planner.model import SolveParameters, solve

        params = SolveParameters(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        plan = solve(scenario, params)
    else:
        from planner.greedy import dispatch

        plan = dispatch(scenario, seed=args.seed)
    result["seconds"] = round(time.perf_counter() - t, 3)
    result["peak_mb"] = round(_status_kb("VmHWM") / 1024, 1)

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
        elif proc.returncode != 0 or "status" not in record:
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

        info["ortools"] = ortools.__version__
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
# The table


def _num(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(float(value)):,}"
    return f"{float(value):,.{digits}f}"


def rows(runs: list[dict]) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and notes of the results table."""
    header = [
        "size",
        "people",
        "method",
        "seconds",
        "peak MB",
        "evacuated",
        "exposure",
        "arrival",
        "status",
        "plan from",
        "check",
        "evacuated bound (gap)",
        "exposure bound (gap)",
        "arrival bound (gap)",
        "exposure planner/greedy",
    ]
    greedy = {r["size"]: r for r in runs if r["method"] == "greedy" and "objective" in r}
    body: list[list[str]] = []
    notes: list[str] = []
    for r in runs:
        obj = r.get("objective", {})
        seconds = f"{r.get('seconds', 0):,.1f}"
        over = r.get("seconds", 0) > r["time_limit"] + OVER
        if r["method"] == "planner" and over and "error" not in r:
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
            _num(obj.get("evacuated")),
            _num(obj.get("exposure")),
            _num(obj.get("arrival")),
            status,
            source(r),
            check,
        ]
        for name in OBJECTIVES:
            b = r.get("bound", {}).get(name)
            g = r.get("gap", {}).get(name)
            cells.append("-" if b is None else f"{_num(b)} ({100 * g:.2f}%)")
        ratio = "-"
        base = greedy.get(r["size"])
        if r["method"] == "planner" and base and "objective" in r:
            e, ge = obj.get("exposure"), base["objective"].get("exposure")
            if e is not None and ge:
                ratio = f"{float(e) / float(ge):.3f}"
        cells.append(ratio)
        body.append(cells)
    return header, body, notes


def source(r: dict) -> str:
    """Which step made the plan: `cp-sat`, or `dispatcher` (the planner kept its plan)."""
    if "error" in r:
        return "-"
    method = str(r.get("stats", {}).get("method", ""))
    return "dispatcher" if method.startswith("greedy") else method or "?"


def print_table(runs: list[dict], markdown: bool = False) -> None:
    header, body, notes = rows(runs)
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" --- " for _ in header) + "|")
        for cells in body:
            shown = [c.replace("|", "/") for c in cells]
            for i in (8, 10):
                if shown[i].startswith(("FAILED", "CRASHED", "STOPPED")):
                    shown[i] = f"**{shown[i]}**"
            print("| " + " | ".join(shown) + " |")
        for n in notes:
            print(f"\n{n}" if not n.startswith("    ") else n)
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
        return
    console = Console(width=max(200, Console().width), highlight=False)
    table = Table(title="Benchmarks", show_lines=False)
    for h in header:
        left = h in ("size", "method", "status", "plan from", "check")
        table.add_column(h, justify="left" if left else "right")
    for cells in body:
        styled = list(cells)
        if cells[10].startswith("FAILED"):
            styled[10] = f"[bold red]{cells[10]}[/]"
        if cells[8].startswith(("CRASHED", "STOPPED")):
            styled[8] = f"[bold red]{cells[8]}[/]"
        if "!" in cells[3]:
            styled[3] = f"[bold yellow]{cells[3]}[/]"
        table.add_row(*styled)
    console.print(table)
    for n in notes:
        console.print(n, markup=False, style="bold red" if "FAILED" in n or "broken" in n else "")


# --------------------------------------------------------------------------------------


def parse_limits(items: list[str] | None) -> dict[str, float]:
    limits = dict(DEFAULT_LIMITS)
    for item in items or []:
        if "=" in item:
            size, _, seconds = item.partition("=")
            if size.upper() not in SIZES:
                raise SystemExit(f"--time-limit: unknown size {size!r}")
            limits[size.upper()] = float(seconds)
        else:
            limits = {s: float(item) for s in SIZES}
    return limits


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    parser = argparse.ArgumentParser(
        description="Benchmark the planner against the dispatcher at sizes S, M, L, XL."
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=list(SIZES),
        type=str.upper,
        choices=SIZES,
        metavar="SIZE",
        help="sizes to run (default: all)",
    )
    parser.add_argument(
        "--time-limit",
        nargs="+",
        metavar="[SIZE=]SECONDS",
        help="time limit of the planner: one number for every size, or SIZE=SECONDS pairs "
        "(defaults S=60 M=60 L=120 XL=180)",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        default=list(METHODS),
        choices=METHODS,
        help="greedy: the dispatcher; planner: planner.model.solve (default: both)",
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
        print_table(saved["runs"], args.markdown)
        return 0

    limits = parse_limits(args.time_limit)
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
            limit = limits[size]
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
            print(
                f"  {record.get('seconds', 0):.1f} s, {record.get('peak_mb', 0):,.0f} MB, "
                + (
                    record["error"]
                    if "error" in record
                    else f"{record['status']}, {record['violations']} broken rules"
                ),
                file=sys.stderr,
                flush=True,
            )
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
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print_table(results["runs"], args.markdown)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
