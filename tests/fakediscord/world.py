"""The fake server's world: users, guilds, channels, roles, members and their Discord payloads."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES

TEXT_CHANNEL = 0
DM_CHANNEL = 1
CATEGORY_CHANNEL = 4


def as_permissions(value: Any) -> int:
    """Accept an int, a numeric string or anything with ``.value`` (e.g. ``discord.Permissions``)."""
    if hasattr(value, "value"):
        return int(value.value)
    return int(value)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


class Snowflakes:
    """Fresh, strictly increasing snowflake ids whose timestamps are roughly now."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, now)
        return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A fresh id of a guild that Discord puts on the given shard ((id >> 22) % shard_count)."""
        stamp = self.next() >> 22
        stamp += (shard_id - stamp) % shard_count
        self._last = max(self._last, stamp << 22)
        return self._last


@dataclass(eq=False)
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True  # False: creating a DM message answers 403 (50007)

    @property
    def display_name(self) -> str:
        return self.global_name or self.username

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
            "public_flags": 0,
            "flags": 0,
            "bot": self.bot,
            "system": False,
        }


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    mentionable: bool = False
    hoist: bool = False
    color: int = 0
    bot_id: int | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(eq=False)
class FakeChannel:
    id: int
    guild_id: int | None
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: FakeUser | None = None  # DM channels only
    deleted: bool = False
    last_message_id: int | None = None

    def payload(self, *, with_guild_id: bool = True) -> dict[str, Any]:
        if self.type == DM_CHANNEL:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM_CHANNEL,
                "last_message_id": _str_or_none(self.last_message_id),
                "recipients": [self.recipient.payload()],
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "parent_id": _str_or_none(self.parent_id),
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "flags": 0,
        }
        if self.type == TEXT_CHANNEL:
            data.update(
                topic=self.topic,
                nsfw=self.nsfw,
                rate_limit_per_user=0,
                last_message_id=_str_or_none(self.last_message_id),
                default_auto_archive_duration=1440,
            )
        if with_guild_id and self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild_id: int
    nick: str | None = None
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def display_name(self) -> str:
        return self.nick or self.user.display_name

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "avatar_decoration_data": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "communication_disabled_until": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


class FakeGuild:
    """A guild with its roles, channels and members; ids come from the world's snowflakes."""

    def __init__(self, world: World, guild_id: int, name: str, owner_id: int) -> None:
        self.world = world
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        self.locale = "en-GB"
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.members: dict[int, FakeMember] = {}
        # The @everyone role shares the guild's id.
        self.roles[guild_id] = FakeRole(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)
        self.bot_role = self.add_role(
            world.bot.username, DEFAULT_BOT_PERMISSIONS, managed=True, bot_id=world.bot.id, position=1
        )
        self.add_member(world.bot, roles=[self.bot_role])

    def __repr__(self) -> str:
        return f"<FakeGuild id={self.id} name={self.name!r}>"

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    @property
    def text_channels(self) -> list[FakeChannel]:
        return [c for c in self.channels.values() if c.type == TEXT_CHANNEL and not c.deleted]

    def add_role(self, name: str, permissions: Any = 0, *, position: int | None = None, **kwargs: Any) -> FakeRole:
        """Add a role; positions grow upwards unless given."""
        if position is None:
            position = max(r.position for r in self.roles.values()) + 1
        role = FakeRole(self.world.snowflakes.next(), self.id, name, as_permissions(permissions), position, **kwargs)
        self.roles[role.id] = role
        return role

    def add_category(self, name: str) -> FakeChannel:
        return self._add_channel(name, CATEGORY_CHANNEL)

    def add_text_channel(
        self,
        name: str,
        *,
        topic: str | None = None,
        category: FakeChannel | None = None,
        overwrites: Iterable[Overwrite] = (),
    ) -> FakeChannel:
        channel = self._add_channel(name, TEXT_CHANNEL, topic=topic, parent_id=category.id if category else None)
        channel.overwrites.extend(overwrites)
        return channel

    def _add_channel(self, name: str, type_: int, **kwargs: Any) -> FakeChannel:
        position = sum(1 for c in self.channels.values() if c.type == type_)
        channel = FakeChannel(self.world.snowflakes.next(), self.id, name, type_, position, **kwargs)
        self.channels[channel.id] = channel
        return channel

    def add_member(
        self, user: FakeUser | str, *, nick: str | None = None, roles: Iterable[FakeRole | int] = ()
    ) -> FakeMember:
        """Add a member; a string creates a new user with that username."""
        if isinstance(user, str):
            user = self.world.add_user(user)
        role_ids = [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        member = FakeMember(user, self.id, nick, role_ids)
        self.members[user.id] = member
        return member

    def member(self, who: Any) -> FakeMember:
        """Find a member by FakeMember, FakeUser, id or username."""
        if isinstance(who, FakeMember):
            return who
        if isinstance(who, FakeUser):
            return self.members[who.id]
        if isinstance(who, str) and not who.isdigit():
            for member in self.members.values():
                if who in (member.user.username, member.nick, member.user.global_name):
                    return member
            raise KeyError(f"no member named {who!r} in {self!r}")
        return self.members[int(who)]

    def channel(self, which: Any) -> FakeChannel:
        """Find a channel by FakeChannel, id or name."""
        if isinstance(which, FakeChannel):
            return which
        if isinstance(which, str) and not which.isdigit():
            for channel in self.channels.values():
                if channel.name == which:
                    return channel
            raise KeyError(f"no channel named {which!r} in {self!r}")
        return self.channels[int(which)]

    @property
    def me(self) -> FakeMember:
        return self.members[self.world.bot.id]

    def permissions_for(self, member: FakeMember, channel: FakeChannel | None = None) -> int:
        """Discord's permission algorithm: base role permissions, then channel overwrites."""
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        base = self.everyone.permissions
        for role_id in member.roles:
            role = self.roles.get(role_id)
            if role is not None:
                base |= role.permissions
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        overwrites = {(o.type, o.id): o for o in channel.overwrites}
        everyone = overwrites.get((0, self.id))
        if everyone:
            base = (base & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            role_ow = overwrites.get((0, role_id))
            if role_ow:
                allow |= role_ow.allow
                deny |= role_ow.deny
        base = (base & ~deny) | allow
        member_ow = overwrites.get((1, member.id))
        if member_ow:
            base = (base & ~member_ow.deny) | member_ow.allow
        return base

    def rest_payload(self) -> dict[str, Any]:
        """The guild as GET /guilds/{id} returns it."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.locale,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "widget_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "features": [],
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
        }

    def gateway_payload(self, *, include_all_members: bool) -> dict[str, Any]:
        """The guild as GUILD_CREATE sends it."""
        members = self.members.values() if include_all_members else [self.me]
        data = self.rest_payload()
        data.update(
            unavailable=False,
            joined_at=self.me.joined_at,
            large=False,
            member_count=len(self.members),
            channels=[c.payload(with_guild_id=False) for c in self.channels.values() if not c.deleted],
            members=[m.payload() for m in members],
            threads=[],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            embedded_activities=[],
            application_command_counts={},
        )
        return data


def bot_token(user_id: int, secret: str = "s" * 38) -> str:
    """A token shaped like Discord's, built at run time: base64 of the bot's id, a timestamp part, an HMAC part."""
    first = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{first}.GabcDE.{secret}"


class World:
    """Everything the fake server knows: the bot and its application, users, guilds and DM channels."""

    def __init__(self, *, bot_name: str = "TestBot", token: str | None = None) -> None:
        self.snowflakes = Snowflakes()
        self.application_id = self.snowflakes.next()
        # Shaped like Discord's, so the bot's own check of the token's shape passes as it would for real.
        self.token = token if token is not None else bot_token(self.application_id)
        # Discord gives a bot user the same id as its application.
        self.bot = FakeUser(self.application_id, bot_name, bot=True)
        self.owner = FakeUser(self.snowflakes.next(), "app-owner")
        self.users: dict[int, FakeUser] = {self.bot.id: self.bot, self.owner.id: self.owner}
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}

    @classmethod
    def default(cls) -> World:
        """One guild with #general and #quiz, a Tutor role and the members alice, bob and tutor."""
        world = cls()
        guild = world.add_guild("Test Guild")
        guild.add_text_channel("general")
        guild.add_text_channel("quiz")
        tutor = guild.add_role("Tutor", permissions=1 << 5)  # manage guild
        guild.add_member(world.add_user("alice", global_name="Alice"))
        guild.add_member(world.add_user("bob", global_name="Bob"))
        guild.add_member(world.add_user("tutor", global_name="Tutor"), roles=[tutor])
        return world

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> FakeUser:
        user = FakeUser(self.snowflakes.next(), username, global_name, bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, owner: FakeUser | None = None, shard: tuple[int, int] | None = None) -> FakeGuild:
        """Add a guild; shard=(id, count) picks an id on that shard."""
        owner = owner or self.owner
        guild_id = self.snowflakes.next_on_shard(*shard) if shard else self.snowflakes.next()
        guild = FakeGuild(self, guild_id, name, owner.id)
        if owner.id != self.bot.id:
            guild.add_member(owner)
        self.guilds[guild.id] = guild
        return guild

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The bot's DM channel with a user, created on first use."""
        for channel in self.dm_channels.values():
            if channel.recipient is user:
                return channel
        channel = FakeChannel(self.snowflakes.next(), None, "", DM_CHANNEL, recipient=user)
        self.dm_channels[channel.id] = channel
        return channel

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id]
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return None

    def find_user(self, who: Any) -> FakeUser:
        if isinstance(who, FakeUser):
            return who
        if isinstance(who, FakeMember):
            return who.user
        if isinstance(who, str) and not who.isdigit():
            for user in self.users.values():
                if who in (user.username, user.global_name):
                    return user
            raise KeyError(f"no user named {who!r}")
        return self.users[int(who)]

    def application_payload(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me; interactions_endpoint_url must stay null for gateway interactions."""
        return {
            "id": str(self.application_id),
            "name": self.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner.payload(),
            "team": None,
            "flags": 0,
            "tags": [],
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "custom_install_url": None,
            "install_params": None,
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.guilds),
            "bot": self.bot.payload(),
        }

    def bot_user_payload(self) -> dict[str, Any]:
        data = self.bot.payload()
        data.update(verified=True, mfa_enabled=False, locale="en-US", email=None)
        return data


def _str_or_none(value: int | None) -> str | None:
    return None if value is None else str(value)
