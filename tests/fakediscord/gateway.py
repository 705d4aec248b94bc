"""The websocket gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, member chunks, shards."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
GUILD_MEMBERS_INTENT = 1 << 1
AUTHENTICATION_FAILED = 4004
# Events whose payload names their guild as "id" rather than "guild_id".
GUILD_SELF_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to (its own copy: the fake does not trust the bot's)."""
    return (guild_id >> 22) % shard_count


@dataclass(eq=False)
class GatewaySession:
    """One identified session; it outlives its socket so that the bot can RESUME it."""

    id: str
    intents: int
    identify: dict[str, Any]
    ws: web.WebSocketResponse | None = None
    shard: tuple[int, int] = (0, 1)  # (shard id, shard count) from IDENTIFY
    seq: int = 0
    resumable: bool = True
    sent: list[tuple[int, str]] = field(default_factory=list)  # (seq, frame) for replay on RESUME
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    def carries(self, guild_id: int | None) -> bool:
        """Tell whether Discord sends this guild's events on this session (events with no guild go to shard 0)."""
        shard_id, count = self.shard
        return shard_id == (0 if guild_id is None else shard_of(guild_id, count))


class Gateway:
    def __init__(self, fake: FakeDiscord, *, heartbeat_interval_ms: int = 41250) -> None:
        self.fake = fake
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: list[GatewaySession] = []
        self.received: list[dict[str, Any]] = []  # every frame the bot sent, in order (tokens included)
        self.resumes = 0
        # What GET /gateway/bot reports, and the IDENTIFY rate limit: one IDENTIFY per bucket (shard id %
        # max_concurrency) per identify_window seconds, a faster one answered INVALID_SESSION. Discord's window
        # is 5 s; the default 0 enforces nothing, so tests may restart a bot at once.
        self.recommended_shards = 1
        self.max_concurrency = 1
        self.identify_window = 0.0
        self.identifies: list[tuple[float, int]] = []  # (loop time, shard id) of each IDENTIFY accepted
        self.identify_refusals: list[int] = []  # shard ids whose IDENTIFY came too soon after their bucket's last
        self._sockets: set[web.WebSocketResponse] = set()
        self._closed_by_us: set[web.WebSocketResponse] = set()

    @property
    def current(self) -> GatewaySession | None:
        """The latest session that has not been closed for good."""
        live = [s for s in self.sessions if s.resumable]
        return live[-1] if live else None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: GatewaySession | None = None
        try:
            await ws.send_str(json.dumps({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.received.append(frame)
                session = await self._on_frame(ws, frame, session)
                self.fake.notify()
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                # A bot that closes with 1000 or 1001 ends its session; other codes leave it resumable.
                if ws not in self._closed_by_us and ws.close_code in (1000, 1001):
                    session.resumable = False
            self._closed_by_us.discard(ws)
            self.fake.notify()
        return ws

    async def _on_frame(
        self, ws: web.WebSocketResponse, frame: dict[str, Any], session: GatewaySession | None
    ) -> GatewaySession | None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
        elif op == IDENTIFY:
            if data.get("token") != self.fake.world.token:
                await ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
                return session
            session = await self._identify(ws, data) if self._may_identify(data) else None
            if session is None:
                await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
        elif op == RESUME:
            session = await self._resume(ws, data)
        elif op == REQUEST_MEMBERS and session is not None:
            await self._send_member_chunks(session, data)
        elif op not in (PRESENCE, 4):  # presence and voice state updates need no answer
            log.warning("fake gateway: unhandled op %s", op)
        return session

    def _may_identify(self, data: dict[str, Any]) -> bool:
        """Record an IDENTIFY; False (and a refusal recorded) if its bucket identified less than a window ago."""
        shard_id = int((data.get("shard") or [0, 1])[0])
        now = asyncio.get_running_loop().time()
        bucket = shard_id % self.max_concurrency
        if any(at > now - self.identify_window and s % self.max_concurrency == bucket for at, s in self.identifies):
            self.identify_refusals.append(shard_id)
            return False
        self.identifies.append((now, shard_id))
        return True

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> GatewaySession:
        world = self.fake.world
        shard_id, count = data.get("shard") or [0, 1]
        session = GatewaySession(secrets.token_hex(16), int(data.get("intents", 0)), data, ws, shard=(shard_id, count))
        self.sessions.append(session)
        guilds = [g for g in world.guilds.values() if session.carries(g.id)]
        ready = {
            "v": 10,
            "user": world.bot_user_payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "shard": [shard_id, count],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth_session_id_hash": "",
            "_trace": ["fake-discord"],
        }
        await self._send_dispatch(session, "READY", ready)
        all_members = bool(session.intents & GUILD_MEMBERS_INTENT)
        for guild in guilds:
            await self._send_dispatch(session, "GUILD_CREATE", guild.gateway_payload(include_all_members=all_members))
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> GatewaySession | None:
        session = next((s for s in self.sessions if s.id == data.get("session_id")), None)
        if session is None or not session.resumable or data.get("token") != self.fake.world.token:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        self.resumes += 1
        async with session.lock:
            session.ws = ws
            last_seen = data.get("seq") or 0
            for seq, frame in session.sent:
                if seq > last_seen:
                    await ws.send_str(frame)
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fake-discord"]})
        return session

    async def _send_member_chunks(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild_ids = data.get("guild_id")
        for guild_id in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.fake.world.guilds.get(int(guild_id))
            if guild is None:
                continue
            members = list(guild.members.values())
            query = (data.get("query") or "").lower()
            user_ids = {int(u) for u in data.get("user_ids") or []}
            if user_ids:
                members = [m for m in members if m.id in user_ids]
            elif query:
                members = [m for m in members if m.user.username.lower().startswith(query)]
            if data.get("limit"):
                members = members[: data["limit"]]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [str(u) for u in user_ids - {m.id for m in members}],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            if data.get("presences"):
                chunk["presences"] = []
            await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_dispatch(self, session: GatewaySession, event: str, data: dict[str, Any]) -> int:
        async with session.lock:
            session.seq += 1
            frame = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": data})
            session.sent.append((session.seq, frame))
            if session.connected:
                assert session.ws is not None
                try:
                    await session.ws.send_str(frame)
                except (ConnectionError, RuntimeError):
                    session.ws = None  # kept in ``sent``; a RESUME replays it
            return session.seq

    def session_for(self, guild_id: int | None, shard: int | None = None) -> GatewaySession | None:
        """The latest live session that carries this guild's events (its shard's, or shard's if given), if any."""
        live = [
            s for s in self.sessions if s.resumable and (s.carries(guild_id) if shard is None else s.shard[0] == shard)
        ]
        return live[-1] if live else None

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> int:
        """Send an event to the session of the guild's shard (buffered for RESUME while it reconnects).

        ``shard`` sends it to that shard's session instead: another process then handles the server's event.
        """
        guild_id = data.get("id") if event in GUILD_SELF_EVENTS else data.get("guild_id")
        session = self.session_for(int(guild_id) if guild_id is not None else None, shard)
        if session is None:
            raise RuntimeError(
                f"no bot is connected to the fake gateway for guild {guild_id} (shard {shard}): "
                "start the bot (with that guild's shard) and wait until it is ready first"
            )
        return await self._send_dispatch(session, event, data)

    async def send_op(self, op: int, data: Any = None) -> None:
        """Send a raw opcode (e.g. RECONNECT) to the current session's socket."""
        session = self.current
        if session is None or not session.connected:
            raise RuntimeError("no connected bot session")
        assert session.ws is not None
        await session.ws.send_str(json.dumps({"op": op, "d": data}))

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the current socket with a resumable code; the bot reconnects and resumes."""
        session = self.current
        if session is not None and session.ws is not None:
            self._closed_by_us.add(session.ws)
            await session.ws.close(code=code)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake server closing")
