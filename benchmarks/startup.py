"""Start-up time: from process start to ready, for `python -m bot run` against the fake Discord server.

python -m benchmarks.startup [--questions 10000] [--repeat 3] [--json PATH]

Each start is a fresh `python -m bot run` process, exactly as a user runs it (as tests/e2e/test_process.py does),
with the fake Discord from tests/fakediscord in this parent process. The clock starts just before the process is
spawned. Two moments are taken from the fake:
  sync      the bot's command sync (PUT /applications/{id}/commands), sent at the end of setup_hook
  ready     the bot's IDENTIFY on the gateway (op 2): login, database, content, cogs, scheduler and sync are done
"Ready" in the table is IDENTIFY, the later of the two (the fake answers it at once with READY).

Rows: the shipped content and a generated course of --questions questions (benchmarks/gen_course.py), each
cold (a new, empty DATA_DIR: no database, no content cache) and warm (the same DATA_DIR started again).
Python's own bytecode caches (__pycache__) are left as they are, so "cold" means the bot's data, not the OS page
cache or Python's imports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._process import bot_env
from benchmarks.gen_course import write_course

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
SYNC = r"/applications/\d+/commands"


async def start_once(fake: Any, content_dir: Path, data_dir: Path, timeout: float = 300) -> dict[str, float]:  # noqa: ASYNC109
    """Spawn `python -m bot run`, return seconds to the command sync and to IDENTIFY, then stop it with SIGTERM."""
    env = bot_env(fake, data_dir, content_dir)
    mark, identified = fake.mark(), fake.identify_count
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=data_dir.parent, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        identify_at = None
        while identify_at is None:
            if fake.identify_count > identified:
                identify_at = time.monotonic()
            elif proc.returncode is not None or time.monotonic() - started > timeout:
                out = await proc.stdout.read() if proc.stdout else b""
                raise RuntimeError(f"the bot never identified (exit {proc.returncode}):\n{out.decode()[-3000:]}")
            else:
                await asyncio.sleep(0.002)
        syncs = fake.requests_to("PUT", SYNC, since=mark)
        return {
            "sync_s": (syncs[0].at - started) if syncs else float("nan"),
            "ready_s": identify_at - started,
        }
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.communicate(), timeout=30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    from tests.fakediscord.server import FakeDiscord
    from tests.fakediscord.world import World

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = await asyncio.to_thread(write_course, work / "generated", args.questions)
        contents = (("shipped", CONTENT), (f"generated {args.questions:,} q", generated.parent))
        async with FakeDiscord(World.default()) as fake:
            for label, content_dir in contents:
                cold: list[dict[str, float]] = []
                warm: list[dict[str, float]] = []
                for n in range(args.repeat):
                    data = work / f"{label.split()[0]}-{n}" / "data"
                    await asyncio.to_thread(data.mkdir, parents=True)
                    cold.append(await start_once(fake, content_dir, data))
                    warm.append(await start_once(fake, content_dir, data))
                for state, runs in (("cold", cold), ("warm", warm)):
                    row = _row(label, state, runs)
                    rows.append(row)
                    print(_format(row), flush=True)
    return rows


def _row(content: str, state: str, runs: list[dict[str, float]]) -> dict[str, Any]:
    ready = [r["ready_s"] for r in runs]
    sync = [r["sync_s"] for r in runs]
    return {
        "content": content,
        "state": state,
        "runs": len(runs),
        "ready_median_s": round(statistics.median(ready), 2),
        "ready_min_s": round(min(ready), 2),
        "ready_max_s": round(max(ready), 2),
        "sync_median_s": round(statistics.median(sync), 2),
        "ready_all_s": [round(v, 2) for v in ready],
    }


HEADER = f"{'content':<22} {'state':<5} {'runs':>4} {'ready med s':>11} {'min':>6} {'max':>6} {'sync med s':>10}"


def _format(row: dict[str, Any]) -> str:
    return (
        f"{row['content']:<22} {row['state']:<5} {row['runs']:>4} {row['ready_median_s']:>11.2f} "
        f"{row['ready_min_s']:>6.2f} {row['ready_max_s']:>6.2f} {row['sync_median_s']:>10.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm starts per content")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/startup.json")
    args = parser.parse_args()
    print(HEADER, flush=True)
    rows = asyncio.run(measure(args))
    info = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).isoformat(),
        "ready": "the fake receives IDENTIFY (op 2); sync = the command sync PUT, which comes first",
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"info": info, "runs": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
