"""Settings from the environment and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the bot can be told; only DISCORD_TOKEN is needed to run it."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, description="The bot's token from the Developer Portal.")
    content_dir: Path = Field(default=Path("content"), description="Folder with the course content.")
    data_dir: Path = Field(default=Path("data"), description="Folder for the database and caches.")
    database_path: Path | None = Field(default=None, description="SQLite file (default: DATA_DIR/revbot.sqlite3).")
    dev_guild_id: int | None = Field(default=None, description="Sync commands to this server only (instant).")
    discord_api_base_url: str = Field(default="https://discord.com/api/v10", description="Discord's REST API.")
    discord_gateway_url: str = Field(default="wss://gateway.discord.gg", description="Discord's gateway.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    use_unreviewed_generated: bool = Field(
        default=False, description="Post generated questions and challenges before a tutor has reviewed them."
    )

    @property
    def database_file(self) -> Path:
        return self.database_path or self.data_dir / "revbot.sqlite3"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"
