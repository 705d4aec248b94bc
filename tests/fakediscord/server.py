"""FakeDiscord: a small Discord (REST + gateway) on 127.0.0.1 that an unmodified discord.py bot logs into."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakediscord.gateway import RECONNECT, Gateway
from tests.fakediscord.interactions import Context, InteractionBuilder
from tests.fakediscord.messages import (
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    LOADING,
    ApiError,
    FakeInteraction,
    FakeMessage,
    MessageStore,
)
from tests.fakediscord.ratelimit import RateLimiter
from tests.fakediscord.records import RECORD, Part, RecordedRequest
from tests.fakediscord.rest import API, RestApi
from tests.fakediscord.world import FakeChannel, FakeGuild, FakeRole, World

log = logging.getLogger(__name__)
# The waiting helpers take a ``timeout`` (ASYNC109) on purpose: it turns a hang into an assertion that
# names what was awaited and lists the recent requests.

UNKNOWN_ROUTE = "fakediscord-unknown-route"
JSON_HEADERS = {"Content-Type": "application/json"}  # exactly this: discord.py compares the whole value


@dataclass
class _Failure:
    method: str | None
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: int | None
    processed: bool = False


class FakeDiscord:
    """Start it, point discord.py at it, then drive the bot with slash(), click(), select() and friends."""

    def __init__(self, world: World | None = None, *, heartbeat_interval_ms: int = 41250) -> None:
        self.world = world or World.default()
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []  # requests no route knew; the fixture fails on these
        self.server_errors: list[tuple[RecordedRequest, Exception]] = []  # the fake's own crashes; fails too
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None = global
        self.interactions: dict[int, FakeInteraction] = {}
        self.interactions_by_token: dict[str, FakeInteraction] = {}
        self.rate_limits = RateLimiter()
        self.store = MessageStore(self.world, lambda: self.attachment_base)
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self._builder = InteractionBuilder(self)
        self._failures: list[_Failure] = []
        self._stalls: list[tuple[str | None, re.Pattern[str], asyncio.Event]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # Lifecycle and addresses

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve on host:port (0 picks a free port) and return the port."""
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        for method, path, handler in RestApi(self).routes():
            app.router.add_route(method, API + path, handler)
        app.router.add_route("*", "/{tail:.*}", self._unknown_route, name=UNKNOWN_ROUTE)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        self.host = host
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def close(self) -> None:
        """Close gateway sockets, then the server. Close your bots first, or they try to reconnect."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` should be."""
        return self.base_url + API

    @property
    def gateway_url(self) -> str:
        """What ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` should be (as a yarl.URL)."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def attachment_base(self) -> str:
        return self.base_url + "/attachments"

    @property
    def token(self) -> str:
        return self.world.token

    # The world, for short test code

    @property
    def guild(self) -> FakeGuild:
        return next(iter(self.world.guilds.values()))

    @property
    def channel(self) -> FakeChannel:
        return self.guild.text_channels[0]

    # Request log and waiting

    def mark(self) -> int:
        """An index into ``requests``; pass it as ``since`` to ignore earlier requests."""
        return len(self.requests)

    def requests_to(self, method: str | None, path_regex: str, *, since: int = 0) -> list[RecordedRequest]:
        """Answered requests whose path fully matches ``path_regex`` (method None or "*" matches any)."""
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests[since:]
            if r.status is not None and method in (None, "*", r.method) and pattern.fullmatch(r.path)
        ]

    async def wait_for_request(
        self,
        method: str | None,
        path_regex: str,
        timeout: float = 5,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> RecordedRequest:
        """The first answered matching request at or after ``since``, waiting for it if needed."""
        await self.wait_for(
            lambda: bool(self.requests_to(method, path_regex, since=since)),
            timeout,
            f"a {method} request matching {path_regex!r}",
        )
        return self.requests_to(method, path_regex, since=since)[0]

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float = 5,  # noqa: ASYNC109
        what: str = "a condition",
    ) -> None:
        """Wait until ``condition()`` is true.

        It is re-checked whenever the fake's state changes, and every 10 ms for conditions on the
        bot's own state.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(repr(r) for r in self.requests[-15:])
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; recent requests:\n  {recent}")
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait({waiter}, timeout=min(remaining, 0.01))
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def notify(self) -> None:
        """Wake every waiter so that it re-checks its condition."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # Messages

    @property
    def messages(self) -> dict[int, FakeMessage]:
        return self.store.messages

    def message(self, message_id: int) -> FakeMessage:
        return self.store.messages[int(message_id)]

    def messages_in(self, channel: FakeChannel | int | None = None) -> list[FakeMessage]:
        """Messages in a channel (default: the first text channel), oldest first, deleted ones left out."""
        channel_id = self.channel.id if channel is None else _id(channel)
        return sorted(self.store.in_channel(channel_id), key=lambda m: m.id)

    async def wait_for_message(
        self,
        channel: FakeChannel | int | None = None,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 5,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> FakeMessage:
        """The first message in the channel (with an id above ``since``) that satisfies ``predicate``."""

        def found() -> FakeMessage | None:
            return next(
                (m for m in self.messages_in(channel) if m.id > since and (predicate is None or predicate(m))), None
            )

        await self.wait_for(lambda: found() is not None, timeout, f"a message in channel {channel}")
        result = found()
        assert result is not None
        return result

    async def user_message(self, content: str, *, user: Any = None, channel: Any = None) -> FakeMessage:
        """A user posts in a channel: stored, then sent to the bot as MESSAGE_CREATE."""
        ctx = self._builder.context(user=user, channel=channel)
        msg = self.store.create(ctx.channel, ctx.user, {"content": content}, [], keep_flags=0)
        payload = msg.payload()
        if ctx.guild is not None and ctx.member is not None:
            payload["guild_id"] = str(ctx.guild.id)
            payload["member"] = ctx.member.payload(with_user=False)
        await self.gateway.dispatch("MESSAGE_CREATE", payload)
        return msg

    # Commands

    def find_command(self, name: str, guild_id: int | None) -> tuple[dict[str, Any] | None, int | None]:
        """A synced chat-input command by name: the guild's own first, then the global one."""
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command, scope
        return None, None

    # Interactions

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Any = None,
        guild: Any = None,
        channel: Any = None,
        permissions: Any = None,
        roles: Iterable[FakeRole | int] | None = None,
        locale: str = "en-US",
        command_guild: Any = None,
        shard: int | None = None,
    ) -> FakeInteraction:
        """Run a slash command: ``slash("quiz start", {"topic": "value"}, user="bob")``.

        Option types come from the synced command when there is one, else from the Python values
        (FakeUser/FakeMember, FakeChannel and FakeRole become user, channel and role options).
        ``shard`` sends it to that shard's session rather than the guild's own.
        """
        ctx = self._context(user, guild, channel, roles, permissions, locale)
        data = self._builder.command_data(name, options, ctx, command_guild=command_guild)
        return await self._send_interaction(INTERACTION_COMMAND, ctx, data, shard=shard)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        **where: Any,
    ) -> FakeInteraction:
        """Ask for choices while the user types ``value`` into option ``focused``."""
        ctx = self._context(**_where(where))
        all_options = {**(options or {}), focused: value}
        data = self._builder.command_data(name, all_options, ctx, focused=focused)
        return await self._send_interaction(INTERACTION_AUTOCOMPLETE, ctx, data)

    async def click(
        self, message: FakeMessage | int, custom_id: str, *, force: bool = False, shard: int | None = None, **who: Any
    ) -> FakeInteraction:
        """Click a button on a stored message; the interaction carries that message, as Discord's does.

        ``shard`` sends the click to that shard's session rather than the guild's own.
        """
        return await self._component(message, custom_id, None, force, who, shard)

    async def select(
        self, message: FakeMessage | int, custom_id: str, values: Iterable[Any], *, force: bool = False, **who: Any
    ) -> FakeInteraction:
        """Choose ``values`` in a select menu (string values, or users/roles/channels for those selects)."""
        return await self._component(message, custom_id, list(values), force, who)

    async def submit_modal(self, opener: FakeInteraction, values: Mapping[str, Any]) -> FakeInteraction:
        """Submit the modal the bot answered ``opener`` with; ``values`` maps input custom ids to values."""
        message = self.store.messages.get(opener.message_id) if opener.message_id else None
        ctx = self._builder.context(user=opener.user, channel=opener.channel_id)
        data = self._builder.modal_data(opener, values)
        return await self._send_interaction(INTERACTION_MODAL_SUBMIT, ctx, data, message)

    async def wait_for_callback(
        self,
        interaction: FakeInteraction,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The body of the bot's callback for ``interaction``: ``{"type": 4, "data": {...}}``."""
        await self.wait_for(lambda: interaction.callback is not None, timeout, f"a callback for {interaction}")
        assert interaction.callback is not None
        return interaction.callback

    async def wait_for_followup(
        self,
        interaction: FakeInteraction,
        count: int = 1,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The ``count``-th follow-up message (a follow-up to a deferred reply fills the original)."""
        await self.wait_for(
            lambda: len(interaction.followup_ids) >= count, timeout, f"follow-up {count} to {interaction}"
        )
        return self.store.messages[interaction.followup_ids[count - 1]]

    async def wait_for_reply(
        self,
        interaction: FakeInteraction,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The message the user sees once the bot has answered and is no longer "thinking".

        That is the original response (type 4, or type 5 once edited or followed up) or, for a
        component, the message it updated (type 7, or type 6 once the bot edited it).
        """

        def answered() -> bool:
            message = self.original(interaction)
            if message is None or message.flags & LOADING:
                return False
            return interaction.callback_type != 6 or len(message.history) > interaction.edits_at_callback

        await self.wait_for(answered, timeout, f"a reply to {interaction}")
        message = self.original(interaction)
        assert message is not None
        return message

    def original(self, interaction: FakeInteraction) -> FakeMessage | None:
        """The interaction's original response message (or the component message after type 6/7)."""
        return None if interaction.original_id is None else self.store.messages[interaction.original_id]

    def expire(self, interaction: FakeInteraction) -> None:
        """Make the interaction's token unknown, as after 15 minutes (or 3 seconds without a reply)."""
        interaction.expired = True

    def _context(
        self,
        user: Any = None,
        guild: Any = None,
        channel: Any = None,
        roles: Iterable[FakeRole | int] | None = None,
        permissions: Any = None,
        locale: str = "en-US",
    ) -> Context:
        return self._builder.context(
            user=user, guild=guild, channel=channel, roles=roles, permissions=permissions, locale=locale
        )

    async def _component(
        self,
        message: FakeMessage | int,
        custom_id: str,
        values: list[Any] | None,
        force: bool,
        who: dict[str, Any],
        shard: int | None = None,
    ) -> FakeInteraction:
        stored = self.store.get(message.id if isinstance(message, FakeMessage) else int(message))
        ctx = self._context(channel=stored.channel_id, **_where(who, {"user", "roles", "permissions", "locale"}))
        data = self._builder.component_data(stored, custom_id, values, ctx, force=force)
        return await self._send_interaction(INTERACTION_COMPONENT, ctx, data, stored, shard=shard)

    async def _send_interaction(
        self,
        ix_type: int,
        ctx: Context,
        data: dict[str, Any],
        message: FakeMessage | None = None,
        *,
        shard: int | None = None,
    ) -> FakeInteraction:
        payload, interaction = self._builder.payload(ix_type, ctx, data, message)
        self.interactions[interaction.id] = interaction
        self.interactions_by_token[interaction.token] = interaction
        await self.gateway.dispatch("INTERACTION_CREATE", payload, shard=shard)
        return interaction

    # Gateway control

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send any gateway event to the bot; returns its sequence number."""
        return await self.gateway.dispatch(event, data)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the bot closes its socket and RESUMEs."""
        await self.gateway.send_op(RECONNECT)

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the bot's socket with a resumable code: the bot reconnects and RESUMEs."""
        await self.gateway.drop_connection(code)

    @property
    def identify_count(self) -> int:
        return len(self.gateway.sessions)

    # Failure injection

    def fail(
        self,
        method: str | None,
        path_regex: str,
        status: int,
        body: dict[str, Any] | None = None,
        *,
        times: int | None = None,
        processed: bool = False,
    ) -> None:
        """Answer matching requests with ``status`` and ``body`` (``times`` None: until clear_failures()).

        With ``processed`` the request takes effect first (a message is created, say) and only the answer is
        lost, as when Discord fails after doing the work or a proxy times out.
        """
        body = body or {"message": "Injected failure", "code": 0}
        self._failures.append(_Failure(method, re.compile(path_regex), status, body, times, processed))

    def stall(self, method: str | None, path_regex: str) -> asyncio.Event:
        """Hold matching requests unanswered until the returned event is set (a slow Discord)."""
        release = asyncio.Event()
        self._stalls.append((method, re.compile(path_regex), release))
        return release

    def forbid_channel(self, channel: FakeChannel | int, *, edits: bool = False) -> None:
        """Message creates (and, with ``edits``, edits) in the channel answer 403 Missing Permissions."""
        channel_id = _id(channel)
        body = {"message": "Missing Permissions", "code": 50013}
        self.fail("POST", rf"/channels/{channel_id}/messages", 403, body)
        if edits:
            self.fail("PATCH", rf"/channels/{channel_id}/messages/\d+", 403, body)

    async def delete_channel(self, channel: FakeChannel | int, *, notify: bool = False) -> None:
        """Delete a channel: its routes answer 404 Unknown Channel. ``notify`` sends CHANNEL_DELETE."""
        found = self.world.find_channel(_id(channel))
        if found is None:
            raise KeyError(f"no channel {channel}")
        found.deleted = True
        if notify:
            await self.gateway.dispatch("CHANNEL_DELETE", found.payload())

    def clear_failures(self) -> None:
        self._failures.clear()

    # HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path == "/gateway" or request.path.startswith("/attachments/"):
            return await handler(request)
        rec = self._new_record(request)
        request[RECORD] = rec
        try:
            await self._read_body(request, rec)
            response = await self._answer(request, rec, handler)
        except ApiError as error:
            response = _json(error.body, error.status)
        except Exception as error:
            # A bug in the fake (or a body it cannot read). Answer 400, not 500: discord.py retries a 500
            # five times over 25 seconds. The fixture fails the test on these.
            log.exception("fake discord failed on %s %s", rec.method, rec.path)
            self.server_errors.append((rec, error))
            response = _json({"message": f"fake discord error: {error!r}", "code": 0}, 400)
        rec.status = response.status
        if isinstance(response, web.Response) and response.body is not None and response.status != 204:
            body = response.body if isinstance(response.body, bytes) else b""
            if response.headers.get("Content-Type") == "application/json" and body:
                rec.response_body = body
        self.notify()
        return response

    async def _answer(self, request: web.Request, rec: RecordedRequest, handler: Callable[..., Any]) -> web.Response:
        resource_obj = request.match_info.route.resource
        if resource_obj is None or resource_obj.name == UNKNOWN_ROUTE:
            return await handler(request)
        resource = resource_obj.canonical
        self._check_auth(rec)
        for method, path, release in self._stalls:
            if method in (None, rec.method) and path.fullmatch(rec.path):
                await release.wait()
        for failure in self._failures:
            if failure.method in (None, rec.method) and failure.path.fullmatch(rec.path):
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                if failure.processed:
                    with contextlib.suppress(ApiError):
                        await handler(request)
                return _json(failure.body, failure.status)
        major = "+".join(v for k, v in request.match_info.items() if k in ("channel_id", "guild_id", "token"))
        exempt = rec.path.startswith(("/interactions/", "/webhooks/"))
        decision = self.rate_limits.check(rec.method, rec.path, resource, major, global_exempt=exempt)
        if decision.status == 429:
            if isinstance(decision.body, str):
                return web.Response(status=429, text=decision.body, headers=decision.headers)
            return _json(decision.body, 429, decision.headers)
        try:
            data = await handler(request)
        except ApiError as error:
            return _json(error.body, error.status, decision.headers)
        if data is None:
            return web.Response(status=204, headers=decision.headers)
        return _json(data, 200, decision.headers)

    def _check_auth(self, rec: RecordedRequest) -> None:
        # Interaction callbacks and webhook calls carry the token in the URL, not a header.
        if rec.path.startswith(("/interactions/", "/webhooks/")):
            return
        if rec.headers.get("Authorization") != f"Bot {self.world.token}":
            raise ApiError(401, 0, "401: Unauthorized")

    def _new_record(self, request: web.Request) -> RecordedRequest:
        path = request.path[len(API) :] if request.path.startswith(API + "/") else request.path
        rec = RecordedRequest(
            len(self.requests),
            request.method,
            path,
            dict(request.query),
            None,
            headers=dict(request.headers),
            at=time.monotonic(),
        )
        self.requests.append(rec)
        return rec

    @staticmethod
    async def _read_body(request: web.Request, rec: RecordedRequest) -> None:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()  # type: ignore[union-attr]
                name = part.name or ""
                rec.parts.append(Part(name, part.filename, part.headers.get("Content-Type"), bytes(data)))
                if name == "payload_json":
                    rec.json = json.loads(data)
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                rec.json = json.loads(raw)

    async def _unknown_route(self, request: web.Request) -> web.Response:
        rec = request[RECORD]
        self.unhandled.append(rec)
        log.warning("fake discord has no route for %s %s", rec.method, rec.path)
        return _json({"message": "Unknown", "code": 0}, 404)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.store.blobs.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # Not web.json_response: it adds "; charset=utf-8" and discord.py then treats the body as text.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={**(headers or {}), **JSON_HEADERS})


def _id(obj: Any) -> int:
    return int(obj.id) if hasattr(obj, "id") else int(obj)


def _where(
    where: Mapping[str, Any],
    allowed: frozenset[str] | set[str] = frozenset({"user", "guild", "channel", "roles", "permissions", "locale"}),
) -> dict[str, Any]:
    unknown = set(where) - allowed
    if unknown:
        raise TypeError(f"unexpected arguments {sorted(unknown)}; expected some of {sorted(allowed)}")
    return dict(where)
