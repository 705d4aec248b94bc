"""A fake Discord (REST + gateway on 127.0.0.1) for end-to-end tests of an unmodified discord.py bot."""

from tests.fakediscord.harness import LogErrors, capture_log_errors, point_discord_py_at, running_bot
from tests.fakediscord.messages import ApiError, FakeInteraction, FakeMessage, UploadedFile
from tests.fakediscord.server import FakeDiscord, RecordedRequest
from tests.fakediscord.world import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Overwrite, World

__all__ = [
    "ApiError",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "LogErrors",
    "Overwrite",
    "RecordedRequest",
    "UploadedFile",
    "World",
    "capture_log_errors",
    "point_discord_py_at",
    "running_bot",
]
