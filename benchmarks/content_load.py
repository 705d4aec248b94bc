"""Measure loading and validating content, cold (no cache) and warm (compiled cache).

python -m benchmarks.content_load [--questions 10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.gen_course import write_course
from bot.course.loader import load_catalog

SHIPPED = Path(__file__).resolve().parents[1] / "content"


def _times(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(name: str, root: Path, work: Path, cold_runs: int, warm_runs: int) -> dict[str, object]:
    cache = work / f"cache-{name}"
    cold = _times(lambda: load_catalog(root), cold_runs)
    load_catalog(root, cache)  # writes the compiled form
    warm = _times(lambda: load_catalog(root, cache), warm_runs)
    catalog = load_catalog(root, cache)
    size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
    return {
        "content": name,
        "summary": catalog.summary(),
        "yaml_bytes": size,
        "cold_ms_median": round(statistics.median(cold), 1),
        "warm_ms_median": round(statistics.median(warm), 1),
        "warm_ms_max": round(max(warm), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/content_load.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"generating a course of {args.questions:,} questions…", flush=True)
        big = write_course(work / "generated", args.questions).parent
        rows = [
            measure("shipped", SHIPPED, work, cold_runs=5, warm_runs=20),
            measure(f"generated-{args.questions}", big, work, cold_runs=3, warm_runs=20),
        ]
    print(f"{'content':<18} {'size':>8} {'cold ms':>9} {'warm ms':>9} {'warm max':>9}  summary")
    for r in rows:
        print(
            f"{r['content']:<18} {r['yaml_bytes'] / 1e6:>6.2f}MB {r['cold_ms_median']:>9} {r['warm_ms_median']:>9} "
            f"{r['warm_ms_max']:>9}  {r['summary']}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
