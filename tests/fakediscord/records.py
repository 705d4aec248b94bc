"""The request log: what the bot sent to the fake's REST API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
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
    response_body: bytes | None = None  # the JSON answer as sent; ``response`` parses it

    @cached_property
    def response(self) -> Any:
        """The JSON body of the answer, or None. Parsed when first read: most records never are."""
        return json.loads(self.response_body) if self.response_body else None

    @property
    def files(self) -> list[UploadedFile]:
        return [UploadedFile(p.filename or p.name, p.data, p.content_type) for p in self.parts if p.filename]

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


# Where the middleware leaves the parsed request for the handlers.
RECORD = web.RequestKey("fakediscord.record", RecordedRequest)
