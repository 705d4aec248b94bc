"""Stored messages and interactions, and the checks Discord applies to a message before storing it."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord.world import FakeChannel, FakeUser, World, iso_now

EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15

INTERACTION_PING = 1
INTERACTION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

# Callback types Discord accepts for each interaction type.
VALID_CALLBACKS = {
    INTERACTION_PING: {1},
    INTERACTION_COMMAND: {4, 5, 9, 12, 13},
    INTERACTION_COMPONENT: {4, 5, 6, 7, 9},
    INTERACTION_AUTOCOMPLETE: {8},
    INTERACTION_MODAL_SUBMIT: {4, 5, 6, 7},
}


class ApiError(Exception):
    """An error answer in Discord's JSON shape."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            self.body["errors"] = errors


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, however deeply nested (rows, sections, containers, labels)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components", []))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


@dataclass
class UploadedFile:
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(eq=False)
class FakeMessage:
    """A message as the fake stores it; ``data`` is the payload Discord would return."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # attachment filename -> bytes
    allowed_mentions: dict[str, Any] | None = None
    interaction_id: int | None = None
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first
    reactions: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        return f"<FakeMessage id={self.id} channel={self.channel_id} content={self.content!r} flags={self.flags}>"

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds", [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components", [])

    @property
    def flags(self) -> int:
        return self.data.get("flags", 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        return next((c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None)

    def payload(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)


@dataclass(eq=False)
class FakeInteraction:
    """An interaction the fake sent to the bot, and what the bot answered."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    channel_id: int | None
    guild_id: int | None
    user: FakeUser
    message_id: int | None = None  # the message holding the clicked component
    callback: dict[str, Any] | None = None  # the body of POST /interactions/{id}/{token}/callback
    callback_files: list[UploadedFile] = field(default_factory=list)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    expired: bool = False
    edits_at_callback: int = 0  # the component message's edit count when a type 6 callback came

    def __repr__(self) -> str:
        return f"<FakeInteraction id={self.id} type={self.type} callback_type={self.callback_type}>"

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else self.callback["type"]

    @property
    def callback_data(self) -> dict[str, Any]:
        return {} if self.callback is None else self.callback.get("data") or {}

    @property
    def ephemeral(self) -> bool:
        return bool(self.callback_data.get("flags", 0) & EPHEMERAL)


def message_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The message keys of a create or edit body, with nulls turned into Discord's empties."""
    fields: dict[str, Any] = {}
    for key, empty in (("content", ""), ("embeds", []), ("components", [])):
        if key in body:
            value = body[key]
            fields[key] = empty if value is None else copy.deepcopy(value)
    for embed in fields.get("embeds", []):
        embed.setdefault("type", "rich")
    if "tts" in body:
        fields["tts"] = bool(body["tts"])
    return fields


def number_components(components: list[dict[str, Any]]) -> None:
    """Give every component the numeric ``id`` Discord assigns when the sender left it out."""
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk_components(components):
        if "id" not in component:
            while next_id in used:
                next_id += 1
            component["id"] = next_id
            used.add(next_id)


def validate_message(data: dict[str, Any], *, has_files: bool = False) -> None:
    """Reject what Discord rejects most often; a safety net, not a proof of Discord's rules."""
    errors: list[str] = []
    content = data.get("content") or ""
    embeds = data.get("embeds") or []
    components = data.get("components") or []
    flags = data.get("flags") or 0
    v2 = bool(flags & COMPONENTS_V2)
    parts = (content, embeds, components, has_files, data.get("attachments"), data.get("poll"), data.get("sticker_ids"))
    if not any(parts):
        raise ApiError(400, 50006, "Cannot send an empty message")
    if len(content) > 2000:
        errors.append("content: Must be 2000 or fewer in length.")
    if v2 and (content or embeds):
        errors.append("content/embeds: cannot be used with the IS_COMPONENTS_V2 flag.")
    if len(embeds) > 10:
        errors.append("embeds: Must be 10 or fewer in length.")
    errors.extend(_embed_errors(embeds))
    errors.extend(_component_errors(components, v2))
    if errors:
        raise ApiError(400, 50035, "Invalid Form Body", {"_errors": [{"message": e} for e in errors]})


def _embed_errors(embeds: list[dict[str, Any]]) -> Iterator[str]:
    total = 0
    for i, embed in enumerate(embeds):
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                yield f"embeds.{i}.{key}: Must be {limit} or fewer in length."
        fields = embed.get("fields") or []
        if len(fields) > 25:
            yield f"embeds.{i}.fields: Must be 25 or fewer in length."
        for j, fld in enumerate(fields):
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
            if len(fld.get("name") or "") > 256:
                yield f"embeds.{i}.fields.{j}.name: Must be 256 or fewer in length."
            if len(fld.get("value") or "") > 1024:
                yield f"embeds.{i}.fields.{j}.value: Must be 1024 or fewer in length."
        for key, inner, limit in (("footer", "text", 2048), ("author", "name", 256)):
            text = (embed.get(key) or {}).get(inner) or ""
            total += len(text)
            if len(text) > limit:
                yield f"embeds.{i}.{key}.{inner}: Must be {limit} or fewer in length."
    if total > 6000:
        yield "embeds: Embed size exceeds maximum size of 6000"


def _component_errors(components: list[dict[str, Any]], v2: bool) -> Iterator[str]:
    if not v2:
        if len(components) > 5:
            yield "components: Must be 5 or fewer in length."
        for i, row in enumerate(components):
            if row.get("type") != 1:
                yield f"components.{i}: top-level components must be action rows without IS_COMPONENTS_V2."
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                yield f"components.{i}.components: Must be between 1 and 5 in length."
            if any(c.get("type") != 2 for c in children) and len(children) > 1:
                yield f"components.{i}.components: a select menu must be alone in its row."
    elif sum(1 for _ in walk_components(components)) > 40:
        yield "components: Must be 40 or fewer in total."
    seen: set[str] = set()
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if custom_id is not None:
            if not 1 <= len(custom_id) <= 100:
                yield f"custom_id {custom_id!r}: Must be between 1 and 100 in length."
            if custom_id in seen:
                yield f"custom_id {custom_id!r}: Component custom id cannot be duplicated."
            seen.add(custom_id)
        if component.get("type") == 2:
            if len(component.get("label") or "") > 80:
                yield f"button label {component.get('label')!r}: Must be 80 or fewer in length."
            if component.get("style") != 5 and component.get("style") != 6 and custom_id is None:
                yield "button: a non-link button needs a custom_id."


class MessageStore:
    """Every message the fake holds, with Discord's create and edit semantics."""

    def __init__(self, world: World, attachment_base: Callable[[], str]) -> None:
        self.world = world
        self.messages: dict[int, FakeMessage] = {}
        self.validate = True  # check Discord's common limits before storing
        self.nonce_window = 300.0  # seconds a nonce sent with enforce_nonce makes a create return the same message
        self.blobs: dict[int, bytes] = {}  # attachment id -> bytes
        self._attachment_base = attachment_base

    def get(self, message_id: int, channel_id: int | None = None) -> FakeMessage:
        msg = self.messages.get(message_id)
        if msg is None or msg.deleted or (channel_id is not None and msg.channel_id != channel_id):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def in_channel(self, channel_id: int) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]

    def same_nonce(self, author: FakeUser, body: dict[str, Any]) -> FakeMessage | None:
        """The message this author created with the body's nonce in the last few minutes, if it enforces the nonce.

        Discord: with enforce_nonce, a second create with the same nonce returns the first message.
        """
        nonce = body.get("nonce")
        if nonce is None or not body.get("enforce_nonce"):
            return None
        since = time.monotonic() - self.nonce_window
        return next(
            (
                m
                for m in self.messages.values()
                if m.author.id == author.id and m.data.get("nonce") == nonce and m.created >= since and not m.deleted
            ),
            None,
        )

    def create(
        self,
        channel: FakeChannel,
        author: FakeUser,
        body: dict[str, Any],
        files: list[UploadedFile],
        *,
        interaction: FakeInteraction | None = None,
        webhook: bool = False,
        msg_type: int = 0,
        keep_flags: int = EPHEMERAL,
        validate: bool = True,
    ) -> FakeMessage:
        """Store a new message from a create body (JSON or multipart payload_json)."""
        if validate and self.validate:
            validate_message(body, has_files=bool(files))
        message_id = self.world.snowflakes.next()
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": author.payload(),
            "content": "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": msg_type,
            "flags": (body.get("flags") or 0) & (keep_flags | SUPPRESS_EMBEDS | COMPONENTS_V2 | 1 << 12),
        }
        data.update(message_fields(body))
        if body.get("nonce") is not None:
            data["nonce"] = body["nonce"]
        if webhook:
            data["webhook_id"] = str(self.world.application_id)
            data["application_id"] = str(self.world.application_id)
        if interaction is not None:
            data["interaction_metadata"] = _interaction_metadata(interaction)
            if interaction.type == INTERACTION_COMMAND:
                data["interaction"] = {
                    "id": str(interaction.id),
                    "type": interaction.type,
                    "name": interaction.payload["data"]["name"],
                    "user": interaction.user.payload(),
                }
        reference = body.get("message_reference")
        if reference:
            ref = {"type": 0, "channel_id": str(channel.id), **{k: str(v) for k, v in reference.items() if "id" in k}}
            data["message_reference"] = ref
            data["type"] = 19
            target = self.messages.get(int(ref["message_id"]))
            data["referenced_message"] = None if target is None or target.deleted else target.payload()
        number_components(data["components"])
        msg = FakeMessage(
            message_id,
            channel.id,
            channel.guild_id,
            author,
            data,
            allowed_mentions=body.get("allowed_mentions"),
            interaction_id=interaction.id if interaction else None,
        )
        self._set_attachments(msg, body.get("attachments"), files)
        self.messages[message_id] = msg
        channel.last_message_id = message_id
        return msg

    def edit(self, msg: FakeMessage, body: dict[str, Any], files: list[UploadedFile]) -> FakeMessage:
        """Apply an edit body; keys that are absent stay as they were."""
        if self.validate:
            merged = {**msg.data, **message_fields(body)}
            if "attachments" in body:
                merged["attachments"] = body["attachments"]
            validate_message(merged, has_files=bool(files))
        msg.history.append(msg.payload())
        msg.data.update(message_fields(body))
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS may change on an existing message.
            msg.data["flags"] = (msg.flags & ~SUPPRESS_EMBEDS) | (body["flags"] & SUPPRESS_EMBEDS)
        msg.data["flags"] = msg.flags & ~LOADING
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        number_components(msg.data["components"])
        if "attachments" in body or files:
            self._set_attachments(msg, body.get("attachments"), files, keep_existing="attachments" not in body)
        msg.data["edited_timestamp"] = iso_now()
        return msg

    def _set_attachments(
        self,
        msg: FakeMessage,
        wanted: list[dict[str, Any]] | None,
        files: list[UploadedFile],
        *,
        keep_existing: bool = False,
    ) -> None:
        existing = {a["id"]: a for a in msg.data["attachments"]}
        result = list(existing.values()) if keep_existing else []
        if wanted is None:
            wanted = [{"id": index} for index in range(len(files))]
        for entry in wanted:
            key = str(entry.get("id"))
            if key in existing:
                if not keep_existing:
                    result.append(existing[key])
                continue
            index = int(key)
            if not 0 <= index < len(files):
                raise ApiError(400, 50035, "Invalid Form Body", {"attachments": f"no file for attachment {key}"})
            upload = files[index]
            attachment_id = self.world.snowflakes.next()
            filename = entry.get("filename") or upload.filename
            self.blobs[attachment_id] = upload.data
            attachment: dict[str, Any] = {
                "id": str(attachment_id),
                "filename": filename,
                "size": len(upload.data),
                "url": f"{self._attachment_base()}/{msg.channel_id}/{attachment_id}/{filename}",
                "proxy_url": f"{self._attachment_base()}/{msg.channel_id}/{attachment_id}/{filename}",
                "content_type": upload.content_type or "application/octet-stream",
            }
            if entry.get("description"):
                attachment["description"] = entry["description"]
            if msg.ephemeral:
                attachment["ephemeral"] = True
            result.append(attachment)
        msg.data["attachments"] = result
        msg.files = {a["filename"]: self.blobs[int(a["id"])] for a in result}


def _interaction_metadata(interaction: FakeInteraction) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type,
        "user": interaction.user.payload(),
        "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
    }
    if interaction.type == INTERACTION_COMMAND:
        data["name"] = interaction.payload["data"]["name"]
        data["command_type"] = interaction.payload["data"].get("type", 1)
    if interaction.message_id is not None:
        data["interacted_message_id"] = str(interaction.message_id)
    return data
