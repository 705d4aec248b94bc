"""Settings from the environment and an optional .env file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.shards import parse_shard_ids
from bot.storage.schema import postgres_url

log = logging.getLogger(__name__)

ENV_FILE = Path(".env")
# A Discord id (a snowflake): a positive 64-bit number.
DiscordId = Annotated[int, Field(gt=0, lt=2**64)]


class Settings(BaseSettings):
    """Everything the bot can be told; only DISCORD_TOKEN is needed to run it."""

    # An empty value (DEV_GUILD_ID= as left by uncommenting the example file) means "not set".
    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    discord_token: SecretStr | None = Field(default=None, description="The bot's token from the Developer Portal.")
    content_dir: Path = Field(default=Path("content"), description="Folder with the course content.")
    data_dir: Path = Field(default=Path("data"), description="Folder for the database and caches.")
    database_path: Path | None = Field(default=None, description="SQLite file (default: DATA_DIR/revbot.sqlite3).")
    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL database that several processes share, e.g. postgresql://revbot@127.0.0.1/revbot "
        "(default: the SQLite file).",
    )
    dev_guild_id: DiscordId | None = Field(default=None, description="Sync commands to this server only (instant).")
    discord_api_base_url: str = Field(default="https://discord.com/api/v10", description="Discord's REST API.")
    discord_gateway_url: str = Field(default="wss://gateway.discord.gg", description="Discord's gateway.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    default_course: str | None = Field(
        default=None, description="The course of servers that chose none (default: the first course)."
    )
    use_unreviewed_generated: bool = Field(
        default=False, description="Post generated questions and challenges before a tutor has reviewed them."
    )

    shard_count: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Shards in all (default: Discord's recommendation)."
    )
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(
        default=None, description="Shards this process runs, e.g. 0-3 or 0,2,5 (default: all; needs SHARD_COUNT)."
    )

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: Any) -> Any:
        return parse_shard_ids(value) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not postgres_url(value.get_secret_value()):
            raise ValueError("must start with postgresql:// (leave it unset to use the SQLite file)")
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT, the number of shards in all")
            if self.shard_ids and max(self.shard_ids) >= self.shard_count:
                last = self.shard_count - 1
                raise ValueError(f"SHARD_IDS go from 0 to {last} when SHARD_COUNT is {self.shard_count}")
        return self

    @property
    def database_file(self) -> Path:
        return self.database_path or self.data_dir / "revbot.sqlite3"

    @property
    def database_location(self) -> Path | str:
        """The PostgreSQL URL if DATABASE_URL is set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url else self.database_file

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


class SettingsInvalid(Exception):
    """The settings cannot be loaded; each problem names the setting and says why, never showing its value."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


S = TypeVar("S", bound=Settings)

# Why a value was refused, by pydantic's error type; the value itself is never shown (it may be the token).
_REASONS = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "int_type": "is not a whole number",
    "greater_than": "must be a positive number",
    "greater_than_equal": "must be 1 or more",
    "less_than": "is too large for a Discord id",
    "bool_parsing": "must be true or false",
}


def load_settings(cls: type[S]) -> S:
    """Load the settings (Settings or a subclass), or raise SettingsInvalid saying which setting is wrong and why."""
    try:
        return cls()
    except ValidationError as exc:
        raise SettingsInvalid(tuple(_problem(error) for error in exc.errors())) from None
    except UnicodeDecodeError as exc:
        raise SettingsInvalid((_not_utf8(exc),)) from None


def _problem(error: Any) -> str:
    if not error["loc"]:  # a rule across settings: its message names them
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    name = "_".join(str(part) for part in error["loc"]).upper()
    if error["type"] == "value_error":
        return f"{name}: {error['ctx']['error']}"
    return f"{name} {_REASONS.get(error['type'], error['msg'].lower())}"


def _not_utf8(exc: UnicodeDecodeError) -> str:
    where = ENV_FILE.resolve()
    try:
        start = where.read_bytes()[:64]
    except OSError:
        start = b""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start:
        kind = "it is UTF-16, as some Windows editors save it"
    else:
        kind = f"byte {exc.start + 1} is not UTF-8"
    return f"{where} is not UTF-8 text ({kind}): save it again as UTF-8"
