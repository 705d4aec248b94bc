"""What the Discord layer uses of the bot, as a Protocol: cogs, buttons and jobs depend on this, not on bot/app.py.

The bot in bot/app.py is one. Typing against this keeps each module's needs visible and breaks the import
cycle bot/app.py -> cogs -> bot/ui -> bot/app.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import discord
    from discord.ext import commands

    from bot.course.catalog import Catalog
    from bot.delivery import Delivery
    from bot.domain.shards import ShardFilter
    from bot.scheduling import Scheduler
    from bot.services.container import Services


class RevisionClient(Protocol):
    """The bot's own parts, and the few discord.py calls the Discord layer makes (cogs add themselves)."""

    @property
    def services(self) -> Services: ...

    scheduler: Scheduler
    delivery: Delivery
    shard_filter: ShardFilter
    started_at: datetime

    @property
    def guilds(self) -> Sequence[discord.Guild]: ...

    @property
    def user(self) -> discord.ClientUser | None: ...

    @property
    def shards(self) -> dict[int, discord.ShardInfo]: ...

    shard_count: int | None

    async def reload_content(self) -> Catalog: ...

    async def refresh_server_courses(self) -> None: ...

    def is_closed(self) -> bool: ...

    async def wait_until_ready(self) -> None: ...

    def get_channel(self, id: int, /) -> Any: ...

    async def fetch_channel(self, channel_id: int, /) -> Any: ...

    def get_partial_messageable(self, id: int, **options: Any) -> discord.PartialMessageable: ...

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None: ...

    async def is_owner(self, user: discord.abc.User, /) -> bool: ...

    async def add_cog(self, cog: commands.Cog, /, **options: Any) -> None: ...

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None: ...
