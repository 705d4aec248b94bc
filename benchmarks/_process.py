"""The environment a benchmark gives `python -m bot` (or a child benchmark) to run against the fake server."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


def bot_env(fake: Any, data_dir: Path, content_dir: Path = CONTENT) -> dict[str, str]:
    """Return this process's environment without Discord or data settings, pointed at the fake server."""
    # `revbot run` refuses a token not shaped like Discord's (the bot's id in base64, then two parts).
    first = base64.urlsafe_b64encode(str(fake.world.application_id).encode()).decode().rstrip("=")
    fake.world.token = f"{first}.bench.{'s' * 38}"
    own = ("DISCORD_", "DATA_DIR", "DATABASE_PATH", "DATABASE_URL", "SHARD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DATA_DIR=str(data_dir),
        CONTENT_DIR=str(content_dir),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env
