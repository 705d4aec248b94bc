"""Run every benchmark one after another, then print one combined table and write benchmarks/results/all.json.

python -m benchmarks.run_all [--only NAME ...] [--skip NAME ...] [--json PATH]

Each benchmark runs as its own subprocess (`python -m benchmarks.NAME ...`, from the project root) so that one
does not warm caches or hold memory for the next; its own table is streamed through. Its figures are then read
back from benchmarks/results/NAME.json, which the benchmark writes. All of them take about 15 minutes on the
2-core development VM, and 30 more with REVBOT_BENCH_POSTGRES_URL set (benchmarks/processes.py). A benchmark that
fails is reported as failed (with its exit code) and the rest still run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
# (name, extra arguments), in the order they run: quick ones first.
BENCHMARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("content_load", ()),
    ("burst", ()),
    ("scheduler", ()),
    ("startup", ()),
    ("leaderboards", ()),
    ("answers", ("--only", "rate", "--only", "closed")),
    ("memory", ()),
    ("processes", ()),  # measures nothing without REVBOT_BENCH_POSTGRES_URL
)
# Field names worth showing in the combined table, best first; everything is kept in all.json.
KEY_HINTS = (
    "p50", "median", "p99", "max", "per_s", "registration", "added", "stall", "ready", "startup", "rss", "_mb", "_ms",
)  # fmt: skip
LABEL_KEYS = ("run", "period", "content", "name", "state")
MAX_FIGURES = 5


def run_one(name: str, extra: tuple[str, ...]) -> dict[str, Any]:
    path = RESULTS / f"{name}.json"
    before = path.stat().st_mtime if path.exists() else None
    command = [sys.executable, "-m", f"benchmarks.{name}", *extra]
    print(f"\n=== {' '.join(['python', *command[1:]])}", flush=True)
    started = time.monotonic()
    code = subprocess.call(command, cwd=ROOT)  # noqa: S603 - our own modules, fixed arguments
    elapsed = time.monotonic() - started
    fresh = path.exists() and path.stat().st_mtime != before
    result = json.loads(path.read_text(encoding="utf-8")) if fresh else None
    return {
        "benchmark": name,
        "command": " ".join(["python", *command[1:]]),
        "exit_code": code,
        "ok": code == 0 and result is not None,
        "elapsed_s": round(elapsed, 1),
        "result": result,
    }


def _label(item: dict[str, Any]) -> str:
    return " ".join(str(item[k]) for k in LABEL_KEYS if isinstance(item.get(k), str))[:40]


def _figures(item: dict[str, Any]) -> str:
    numbers = {k: v for k, v in item.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    ranked = sorted(
        (k for k in numbers if any(h in k for h in KEY_HINTS)),
        key=lambda k: next(i for i, h in enumerate(KEY_HINTS) if h in k),
    )
    chosen = ranked[:MAX_FIGURES] or list(numbers)[:MAX_FIGURES]
    flags = [k for k, v in item.items() if isinstance(v, bool)]
    text = ", ".join(f"{k}={numbers[k]}" for k in chosen)
    if flags:
        text += "".join(f", {k}={item[k]}" for k in flags[:2])
    return text


def rows_of(result: Any) -> list[tuple[str, str]]:
    """(label, figures) rows for a benchmark's JSON: one per entry of its list of runs, or one for a flat result."""
    if isinstance(result, list):
        items = result
    elif isinstance(result, dict):
        lists = [v for v in result.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        items = lists[0] if lists else [result]
        if lists and len(lists) > 1:
            items = [x for lst in lists for x in lst]
    else:
        return [("", str(result))]
    return [(_label(item), _figures(item)) for item in items if isinstance(item, dict)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], help="run only these benchmarks (repeatable)")
    parser.add_argument("--skip", action="append", default=[], help="skip these benchmarks (repeatable)")
    parser.add_argument("--json", type=Path, default=RESULTS / "all.json")
    args = parser.parse_args()
    chosen = [(n, e) for n, e in BENCHMARKS if (not args.only or n in args.only) and n not in args.skip]
    started = time.monotonic()
    outcomes = [run_one(name, extra) for name, extra in chosen]
    total = time.monotonic() - started

    print(f"\n{'benchmark':<13} {'status':<8} {'time s':>7}  {'row':<40} figures")
    for outcome in outcomes:
        status = "ok" if outcome["ok"] else f"FAILED {outcome['exit_code']}"
        rows = rows_of(outcome["result"]) if outcome["result"] is not None else [("", "no results written")]
        for i, (label, figures) in enumerate(rows):
            head = f"{outcome['benchmark']:<13} {status:<8} {outcome['elapsed_s']:>7.1f}" if i == 0 else " " * 30
            print(f"{head}  {label:<40} {figures}")
    print(f"total {total:.0f} s")

    info = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "when": datetime.now(UTC).isoformat()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"info": info, "total_s": round(total, 1), "benchmarks": outcomes}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.json}")
    if not all(o["ok"] for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
