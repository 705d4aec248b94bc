"""The request log: what the bot sent to the fake's REST API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakediscord.messages import UploadedFile


@dataclass
class Part:
    """One part of a multipart body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    index: int
    method: str
    path: str  # after /api/v10, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any  # the JSON body, or a multipart body's payload_json
    parts: list[Part] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # time.monotonic() when received; for ordering, never for assertions
    status: int | None = None  # set once answered
    response: Any = None

    @property
    def files(self) -> list[UploadedFile]:
        return [UploadedFile(p.filename or p.name, p.data, p.content_type) for p in self.parts if p.filename]

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


# Where the middleware leaves the parsed request for the handlers.
RECORD = web.RequestKey("fakediscord.record", RecordedRequest)
