"""Build INTERACTION_CREATE payloads with every key discord.py 2.7 reads without a default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakediscord.messages import (
    FakeInteraction,
    FakeMessage,
    UploadedFile,
    walk_components,
)
from tests.fakediscord.world import (
    DM_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    as_permissions,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8


@dataclass
class Context:
    """Where an interaction happens and who sends it."""

    user: FakeUser
    channel: FakeChannel
    guild: FakeGuild | None
    member: FakeMember | None
    roles: list[int] | None = None
    permissions: int | None = None
    locale: str = "en-US"

    def member_permissions(self) -> int:
        if self.permissions is not None:
            return self.permissions
        if self.guild is None or self.member is None:
            return 0
        member = self.member
        if self.roles is not None:
            member = FakeMember(member.user, member.guild_id, member.nick, self.roles, member.joined_at)
        return self.guild.permissions_for(member, self.channel)


class InteractionBuilder:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def context(
        self,
        *,
        user: Any = None,
        guild: Any = None,
        channel: Any = None,
        roles: Iterable[FakeRole | int] | None = None,
        permissions: Any = None,
        locale: str = "en-US",
    ) -> Context:
        """Resolve defaults: the first guild, its first text channel and its first ordinary member."""
        world = self.world
        fake_guild: FakeGuild | None = None
        if isinstance(guild, FakeGuild):
            fake_guild = guild
        elif guild is not None:
            fake_guild = world.guilds[int(guild)]
        if isinstance(channel, FakeChannel):
            fake_channel = channel
        elif isinstance(channel, str) and not channel.isdigit():
            fake_channel = (fake_guild or self.fake.guild).channel(channel)
        elif channel is not None:
            found = world.find_channel(int(channel))
            if found is None:
                raise KeyError(f"no channel {channel}")
            fake_channel = found
        else:
            fake_channel = (fake_guild or self.fake.guild).text_channels[0]
        if fake_channel.type == DM_CHANNEL:
            assert fake_channel.recipient is not None
            return Context(fake_channel.recipient, fake_channel, None, None, locale=locale)
        fake_guild = world.guilds[fake_channel.guild_id] if fake_channel.guild_id else fake_guild
        assert fake_guild is not None
        if user is None:
            ordinary = (m for m in fake_guild.members.values() if not m.user.bot and m.user.id != fake_guild.owner_id)
            member = next(ordinary, None)
            if member is None:
                raise LookupError(f"{fake_guild!r} has no ordinary member to act as the user; pass user=")
        else:
            member = fake_guild.member(user)
        role_ids = None if roles is None else [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        perms = None if permissions is None else as_permissions(permissions)
        return Context(member.user, fake_channel, fake_guild, member, role_ids, perms, locale)

    def payload(
        self, ix_type: int, ctx: Context, data: dict[str, Any], message: FakeMessage | None = None
    ) -> tuple[dict[str, Any], FakeInteraction]:
        ix_id = self.world.snowflakes.next()
        token = f"ixtoken-{ix_id}"
        channel_payload = ctx.channel.payload()
        payload: dict[str, Any] = {
            "id": str(ix_id),
            "application_id": str(self.world.application_id),
            "type": ix_type,
            "data": data,
            "token": token,
            "version": 1,
            "locale": ctx.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(ctx.channel.id),
        }
        if ctx.guild is not None and ctx.member is not None:
            guild = ctx.guild
            member_perms = ctx.member_permissions()
            member_payload = ctx.member.payload(permissions=member_perms)
            if ctx.roles is not None:
                member_payload["roles"] = [str(r) for r in ctx.roles]
            channel_payload["permissions"] = str(member_perms)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=member_payload,
                app_permissions=str(guild.permissions_for(guild.me, ctx.channel)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=ctx.user.payload(),
                app_permissions=str(0),
                authorizing_integration_owners={"0": str(ctx.user.id)},
                context=1,
            )
        payload["channel"] = channel_payload
        if message is not None:
            payload["message"] = message.payload()
        interaction = FakeInteraction(
            ix_id,
            token,
            ix_type,
            payload,
            ctx.channel.id,
            ctx.guild.id if ctx.guild else None,
            ctx.user,
            message.id if message else None,
        )
        return payload, interaction

    # Application commands

    def command_data(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        ctx: Context,
        *,
        focused: str | None = None,
        command_guild: Any = None,
    ) -> dict[str, Any]:
        """``name`` may be ``"cmd"``, ``"cmd sub"`` or ``"cmd group sub"``, as Discord shows it."""
        top, *path = name.split()
        guild_id = ctx.guild.id if ctx.guild else None
        command, synced_guild_id = self.fake.find_command(top, guild_id)
        if command_guild is not None:
            synced_guild_id = command_guild.id if isinstance(command_guild, FakeGuild) else int(command_guild)
        definitions = command.get("options", []) if command else None
        for part in path:
            if definitions is None:
                break
            sub = next((o for o in definitions if o["name"] == part and o.get("type") in (1, 2)), None)
            if sub is None:
                raise LookupError(f"the synced command {top!r} has no subcommand or group {part!r}")
            definitions = sub.get("options", [])
        resolved: dict[str, dict[str, Any]] = {}
        leaf = [
            self._option(opt_name, value, _definition(definitions, opt_name), ctx, resolved, opt_name == focused)
            for opt_name, value in (options or {}).items()
        ]
        if focused is not None and focused not in (options or {}):
            raise ValueError(f"the focused option {focused!r} needs a value in options")
        wrapped = leaf
        # Wrap the options in their subcommand and group, innermost first.
        for depth in range(len(path), 0, -1):
            part = path[depth - 1]
            kind = SUB_COMMAND if depth == len(path) else SUB_COMMAND_GROUP
            wrapped = [{"name": part, "type": kind, "options": wrapped}]
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.world.snowflakes.next()),
            "name": top,
            "type": 1,
            "options": wrapped,
        }
        if resolved:
            data["resolved"] = resolved
        if synced_guild_id is not None:
            data["guild_id"] = str(synced_guild_id)
        return data

    def _option(
        self,
        name: str,
        value: Any,
        definition: dict[str, Any] | None,
        ctx: Context,
        resolved: dict[str, dict[str, Any]],
        focused: bool,
    ) -> dict[str, Any]:
        opt_type = definition["type"] if definition else _infer_type(value)
        option: dict[str, Any] = {"name": name, "type": opt_type}
        if focused:
            option["focused"] = True
            option["value"] = str(value)
            return option
        if opt_type in (USER, CHANNEL, ROLE, MENTIONABLE):
            option["value"] = str(self._resolve(value, opt_type, ctx, resolved))
        elif opt_type == ATTACHMENT:
            option["value"] = self._attachment(value, ctx, resolved)
        elif opt_type == INTEGER:
            option["value"] = int(value)
        elif opt_type == NUMBER:
            option["value"] = float(value)
        elif opt_type == BOOLEAN:
            option["value"] = bool(value)
        else:
            option["value"] = str(value)
        return option

    def _resolve(self, value: Any, opt_type: int, ctx: Context, resolved: dict[str, dict[str, Any]]) -> int:
        if isinstance(value, FakeRole) or (opt_type == ROLE and not isinstance(value, FakeChannel)):
            assert ctx.guild is not None, "role options need a guild"
            role = value if isinstance(value, FakeRole) else ctx.guild.roles[int(value)]
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return role.id
        if isinstance(value, FakeChannel) or opt_type == CHANNEL:
            channel = value if isinstance(value, FakeChannel) else self.world.find_channel(int(value))
            assert channel is not None
            data = channel.payload()
            if ctx.guild is not None and ctx.member is not None:
                data["permissions"] = str(ctx.guild.permissions_for(ctx.member, channel))
            resolved.setdefault("channels", {})[str(channel.id)] = data
            return channel.id
        user = self.world.find_user(value)
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        if ctx.guild is not None and user.id in ctx.guild.members:
            member = ctx.guild.members[user.id]
            perms = ctx.guild.permissions_for(member, ctx.channel)
            resolved.setdefault("members", {})[str(user.id)] = member.payload(with_user=False, permissions=perms)
        return user.id

    def _attachment(self, value: Any, ctx: Context, resolved: dict[str, dict[str, Any]]) -> str:
        upload = value if isinstance(value, UploadedFile) else UploadedFile(*value)
        attachment_id = self.world.snowflakes.next()
        self.fake.store.blobs[attachment_id] = upload.data
        url = f"{self.fake.attachment_base}/{ctx.channel.id}/{attachment_id}/{upload.filename}"
        resolved.setdefault("attachments", {})[str(attachment_id)] = {
            "id": str(attachment_id),
            "filename": upload.filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type or "application/octet-stream",
            "ephemeral": True,
        }
        return str(attachment_id)

    # Components and modals

    def component_data(
        self, message: FakeMessage, custom_id: str, values: list[Any] | None, ctx: Context, *, force: bool
    ) -> dict[str, Any]:
        component = message.component(custom_id)
        if component is None:
            raise LookupError(f"message {message.id} has no component {custom_id!r}; it has {message.custom_ids}")
        if component.get("disabled") and not force:
            raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it (pass force=True)")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if "id" in component:
            data["id"] = component["id"]
        if values is not None:
            if component["type"] == 2:
                raise ValueError(f"{custom_id!r} is a button; use click()")
            resolved: dict[str, dict[str, Any]] = {}
            kinds = {USER_SELECT: USER, ROLE_SELECT: ROLE, CHANNEL_SELECT: CHANNEL, MENTIONABLE_SELECT: MENTIONABLE}
            kind = kinds.get(component["type"])
            if kind is None:
                data["values"] = [str(v) for v in values]
            else:
                data["values"] = [str(self._resolve(v, kind, ctx, resolved)) for v in values]
                data["resolved"] = resolved
        elif component["type"] != 2:
            raise ValueError(f"{custom_id!r} is a select menu; use select()")
        return data

    def modal_data(self, opener: FakeInteraction, values: Mapping[str, Any]) -> dict[str, Any]:
        if opener.callback_type != 9:
            raise ValueError(f"interaction {opener.id} was not answered with a modal (callback {opener.callback})")
        modal = opener.callback_data
        unknown = set(values) - {c.get("custom_id") for c in walk_components(modal["components"])}
        if unknown:
            raise LookupError(f"the modal has no inputs {sorted(unknown)}")
        return {
            "custom_id": modal["custom_id"],
            "components": [_submitted(component, values) for component in modal["components"]],
        }


def _submitted(component: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Mirror one modal component as Discord submits it, with the user's value."""
    out: dict[str, Any] = {"type": component["type"]}
    if "id" in component:
        out["id"] = component["id"]
    if component["type"] == 1:
        out["components"] = [_submitted(c, values) for c in component.get("components", [])]
    elif component["type"] == 18:
        out["component"] = _submitted(component["component"], values)
    elif "custom_id" in component:
        custom_id = component["custom_id"]
        out["custom_id"] = custom_id
        if component["type"] == 4:
            value = values.get(custom_id, component.get("value") or "")
            if component.get("required", True) and not value:
                raise ValueError(f"the modal's text input {custom_id!r} is required")
            out["value"] = str(value)
        else:
            out["values"] = [str(v) for v in values.get(custom_id, [])]
    return out


def _definition(definitions: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    if definitions is None:
        return None
    for option in definitions:
        if option["name"] == name:
            return option
    raise LookupError(f"the synced command has no option {name!r}; it has {[o['name'] for o in definitions]}")


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, FakeUser | FakeMember):
        return USER
    if isinstance(value, FakeChannel):
        return CHANNEL
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, UploadedFile | tuple):
        return ATTACHMENT
    return STRING
