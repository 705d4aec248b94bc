"""REST handlers under /api/v10. Each returns data (200 JSON), None (204) or raises ApiError."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakediscord.messages import (
    EPHEMERAL,
    INTERACTION_COMMAND,
    LOADING,
    VALID_CALLBACKS,
    ApiError,
    FakeInteraction,
    FakeMessage,
)
from tests.fakediscord.records import RECORD, RecordedRequest
from tests.fakediscord.world import ATTACH_FILES, SEND_MESSAGES, VIEW_CHANNEL, FakeChannel, FakeGuild

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

Handler = Callable[[web.Request], Awaitable[Any]]
API = "/api/v10"


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world
        self.store = fake.store

    def routes(self) -> list[tuple[str, str, Handler]]:
        app = "/applications/{app_id}"
        hook = "/webhooks/{app_id}/{token}"
        msgs = "/channels/{channel_id}/messages"
        return [
            ("GET", "/users/@me", self.get_me),
            ("GET", "/users/{user_id}", self.get_user),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", app + "/commands", self.get_commands),
            ("PUT", app + "/commands", self.put_commands),
            ("POST", app + "/commands", self.post_command),
            ("GET", app + "/commands/{command_id}", self.get_command),
            ("PATCH", app + "/commands/{command_id}", self.patch_command),
            ("DELETE", app + "/commands/{command_id}", self.delete_command),
            ("GET", app + "/guilds/{guild_id}/commands", self.get_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.put_commands),
            ("POST", app + "/guilds/{guild_id}/commands", self.post_command),
            ("GET", app + "/guilds/{guild_id}/commands/{command_id}", self.get_command),
            ("PATCH", app + "/guilds/{guild_id}/commands/{command_id}", self.patch_command),
            ("DELETE", app + "/guilds/{guild_id}/commands/{command_id}", self.delete_command),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", hook, self.create_followup),
            ("GET", hook + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_webhook_message),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", msgs, self.get_messages),
            ("POST", msgs, self.create_message),
            ("GET", msgs + "/{message_id}", self.get_message),
            ("PATCH", msgs + "/{message_id}", self.edit_message),
            ("DELETE", msgs + "/{message_id}", self.delete_message),
            ("PUT", msgs + "/{message_id}/reactions/{emoji}/@me", self.add_reaction),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_roles),
            ("GET", "/guilds/{guild_id}/members", self.get_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
        ]

    # Lookups

    def _guild(self, request: web.Request) -> FakeGuild:
        guild = self.world.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, request: web.Request) -> FakeChannel:
        channel = self.world.find_channel(int(request.match_info["channel_id"]))
        if channel is None or channel.deleted:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _check_app(self, request: web.Request) -> None:
        if request.match_info["app_id"] != str(self.world.application_id):
            raise ApiError(404, 10002, "Unknown Application")

    def _interaction_by_token(self, request: web.Request) -> FakeInteraction:
        self._check_app(request)
        interaction = self.fake.interactions_by_token.get(request.match_info["token"])
        if interaction is None or interaction.expired:
            raise ApiError(404, 10015, "Unknown Webhook")
        return interaction

    @staticmethod
    def _rec(request: web.Request) -> RecordedRequest:
        return request[RECORD]

    # Users, application, gateway

    async def get_me(self, request: web.Request) -> Any:
        return self.world.bot_user_payload()

    async def get_user(self, request: web.Request) -> Any:
        user = self.world.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user.payload()

    async def create_dm(self, request: web.Request) -> Any:
        user = self.world.users.get(int(self._rec(request).json["recipient_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return self.world.dm_channel(user).payload()

    async def get_application(self, request: web.Request) -> Any:
        return self.world.application_payload()

    async def get_gateway(self, request: web.Request) -> Any:
        return {"url": self.fake.gateway_url}

    async def get_gateway_bot(self, request: web.Request) -> Any:
        gateway = self.fake.gateway
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": gateway.max_concurrency}
        return {"url": self.fake.gateway_url, "shards": gateway.recommended_shards, "session_start_limit": limit}

    # Application commands

    def _command_scope(self, request: web.Request) -> int | None:
        self._check_app(request)
        if "guild_id" in request.match_info:
            return self._guild(request).id
        return None

    def _stored_command(self, request: web.Request) -> dict[str, Any]:
        scope = self._command_scope(request)
        for command in self.fake.commands.get(scope, []):
            if command["id"] == request.match_info["command_id"]:
                return command
        raise ApiError(404, 10063, "Unknown application command")

    async def get_commands(self, request: web.Request) -> Any:
        return copy.deepcopy(self.fake.commands.get(self._command_scope(request), []))

    async def put_commands(self, request: web.Request) -> Any:
        scope = self._command_scope(request)
        old = {(c["name"], c["type"]): c["id"] for c in self.fake.commands.get(scope, [])}
        stored = [self._command(payload, scope, old) for payload in self._rec(request).json]
        self.fake.commands[scope] = stored
        return copy.deepcopy(stored)

    async def post_command(self, request: web.Request) -> Any:
        scope = self._command_scope(request)
        commands = self.fake.commands.setdefault(scope, [])
        old = {(c["name"], c["type"]): c["id"] for c in commands}
        command = self._command(self._rec(request).json, scope, old)
        commands[:] = [c for c in commands if c["id"] != command["id"]] + [command]
        return copy.deepcopy(command)

    async def get_command(self, request: web.Request) -> Any:
        return copy.deepcopy(self._stored_command(request))

    async def patch_command(self, request: web.Request) -> Any:
        command = self._stored_command(request)
        command.update(self._rec(request).json)
        return copy.deepcopy(command)

    async def delete_command(self, request: web.Request) -> Any:
        command = self._stored_command(request)
        self.fake.commands[self._command_scope(request)].remove(command)
        return None

    def _command(self, payload: dict[str, Any], scope: int | None, old: dict[tuple[str, int], str]) -> dict[str, Any]:
        command = copy.deepcopy(payload)
        command.setdefault("type", 1)
        command.setdefault("description", "")
        command.setdefault("default_member_permissions", None)
        command.setdefault("nsfw", False)
        command.setdefault("contexts", None)
        command.setdefault("integration_types", [0])
        # Discord keeps a command's id when a bulk overwrite repeats its name and type.
        command["id"] = old.get((command["name"], command["type"])) or str(self.world.snowflakes.next())
        command["application_id"] = str(self.world.application_id)
        command["version"] = str(self.world.snowflakes.next())
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    # Interactions

    async def interaction_callback(self, request: web.Request) -> Any:
        rec = self._rec(request)
        interaction = self.fake.interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"] or interaction.expired:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.callback is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = rec.json or {}
        cb_type = body.get("type")
        if cb_type not in VALID_CALLBACKS.get(interaction.type, set()):
            raise ApiError(
                400,
                50035,
                f"Invalid Form Body: callback type {cb_type} is not valid for interaction type {interaction.type}",
            )
        data = body.get("data") or {}
        channel = self.world.find_channel(interaction.channel_id or 0)
        message: FakeMessage | None = None
        if cb_type == 4:
            assert channel is not None
            msg_type = 20 if interaction.type == INTERACTION_COMMAND else 0
            message = self.store.create(
                channel, self.world.bot, data, rec.files, interaction=interaction, webhook=True, msg_type=msg_type
            )
        elif cb_type == 5:
            assert channel is not None
            msg_type = 20 if interaction.type == INTERACTION_COMMAND else 0
            loading = {"flags": (data.get("flags") or 0) & EPHEMERAL}
            message = self.store.create(
                channel,
                self.world.bot,
                loading,
                [],
                interaction=interaction,
                webhook=True,
                msg_type=msg_type,
                validate=False,
            )
            message.data["flags"] |= LOADING
        elif cb_type in (6, 7):
            if interaction.message_id is None:
                raise ApiError(400, 50035, "Invalid Form Body: no message to update")
            message = self.store.get(interaction.message_id)
            interaction.edits_at_callback = len(message.history)
            if cb_type == 7:
                self.store.edit(message, data, rec.files)
        interaction.callback = body
        interaction.callback_files = rec.files
        if message is not None:
            interaction.original_id = message.id
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return None
        result: dict[str, Any] = {"interaction": {"id": str(interaction.id), "type": interaction.type}}
        if message is not None and cb_type != 6:
            result["interaction"].update(
                response_message_id=str(message.id),
                response_message_loading=cb_type == 5,
                response_message_ephemeral=message.ephemeral,
            )
            # Not payload(): the answer is serialised before anything can change the message, so no copy.
            result["resource"] = {"type": cb_type, "message": message.data}
        return result

    async def create_followup(self, request: web.Request) -> Any:
        rec = self._rec(request)
        interaction = self._interaction_by_token(request)
        if interaction.callback is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        body = rec.json or {}
        original = self.store.messages.get(interaction.original_id or 0)
        if original is not None and original.flags & LOADING:
            # The first follow-up after a deferred reply replaces the "thinking" message.
            message = self.store.edit(original, body, rec.files)
        else:
            channel = self.world.find_channel(interaction.channel_id or 0)
            assert channel is not None
            message = self.store.create(channel, self.world.bot, body, rec.files, interaction=interaction, webhook=True)
        interaction.followup_ids.append(message.id)
        if rec.query.get("wait") in ("1", "true", "True"):
            return message.payload()
        return None

    def _webhook_message(self, request: web.Request) -> FakeMessage:
        interaction = self._interaction_by_token(request)
        message_id = request.match_info["message_id"]
        if message_id == "@original":
            if interaction.original_id is None:
                raise ApiError(404, 10008, "Unknown Message")
            return self.store.get(interaction.original_id)
        return self.store.get(int(message_id))

    async def get_webhook_message(self, request: web.Request) -> Any:
        return self._webhook_message(request).payload()

    async def edit_webhook_message(self, request: web.Request) -> Any:
        rec = self._rec(request)
        message = self.store.edit(self._webhook_message(request), rec.json or {}, rec.files)
        return message.payload()

    async def delete_webhook_message(self, request: web.Request) -> Any:
        self._webhook_message(request).deleted = True
        return None

    # Channels and messages

    async def get_channel(self, request: web.Request) -> Any:
        return self._channel(request).payload()

    async def get_messages(self, request: web.Request) -> Any:
        channel = self._channel(request)
        query = self._rec(request).query
        messages = sorted(self.store.in_channel(channel.id), key=lambda m: m.id, reverse=True)
        if "before" in query:
            messages = [m for m in messages if m.id < int(query["before"])]
        if "after" in query:
            messages = [m for m in messages if m.id > int(query["after"])]
        return [m.payload() for m in messages[: int(query.get("limit", 50))]]

    async def create_message(self, request: web.Request) -> Any:
        rec = self._rec(request)
        channel = self._channel(request)
        body = rec.json or {}
        if channel.guild_id is not None:
            guild = self.world.guilds[channel.guild_id]
            perms = guild.permissions_for(guild.me, channel)
            needed = VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if rec.files else 0)
            if perms & needed != needed:
                raise ApiError(403, 50013, "Missing Permissions")
        elif channel.recipient is not None and not channel.recipient.dms_open:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        earlier = self.store.same_nonce(self.world.bot, body)
        if earlier is not None:
            return earlier.payload()
        return self.store.create(channel, self.world.bot, body, rec.files, keep_flags=0).payload()

    async def get_message(self, request: web.Request) -> Any:
        channel = self._channel(request)
        return self.store.get(int(request.match_info["message_id"]), channel.id).payload()

    async def edit_message(self, request: web.Request) -> Any:
        rec = self._rec(request)
        channel = self._channel(request)
        message = self.store.get(int(request.match_info["message_id"]), channel.id)
        if message.author.id != self.world.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.store.edit(message, rec.json or {}, rec.files)
        return message.payload()

    async def delete_message(self, request: web.Request) -> Any:
        channel = self._channel(request)
        self.store.get(int(request.match_info["message_id"]), channel.id).deleted = True
        return None

    async def add_reaction(self, request: web.Request) -> Any:
        channel = self._channel(request)
        message = self.store.get(int(request.match_info["message_id"]), channel.id)
        message.reactions.append(request.match_info["emoji"])
        return None

    async def typing(self, request: web.Request) -> Any:
        self._channel(request)
        return None

    # Guilds

    async def get_guild(self, request: web.Request) -> Any:
        guild = self._guild(request)
        data = guild.rest_payload()
        if self._rec(request).query.get("with_counts") in ("1", "true", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return data

    async def get_guild_channels(self, request: web.Request) -> Any:
        return [c.payload() for c in self._guild(request).channels.values() if not c.deleted]

    async def get_roles(self, request: web.Request) -> Any:
        return [r.payload() for r in self._guild(request).roles.values()]

    async def get_members(self, request: web.Request) -> Any:
        guild = self._guild(request)
        query = self._rec(request).query
        after = int(query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.payload() for m in members[: int(query.get("limit", 1))]]

    async def get_member(self, request: web.Request) -> Any:
        member = self._guild(request).members.get(int(request.match_info["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member.payload()
