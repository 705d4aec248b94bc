"""Small builders shared by tests."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain.clock import from_ms
from bot.domain.entities import Answer, NewPost, Post, PostKind
from bot.domain.scoring import Origin
from bot.storage.db import Database
from tests.conftest import Core
from tests.course.conftest import ALPHA, BETA, COURSE

SHIPPED_CONTENT = Path(__file__).resolve().parents[1] / "content"
SHIPPED_COURSE = "customer-service"


def write_two_courses(root: Path) -> Path:
    """Write a content folder with the shipped course and, after it, the small demo course; return it."""
    shutil.copytree(SHIPPED_CONTENT / SHIPPED_COURSE, root / SHIPPED_COURSE)
    demo = root / "demo"
    demo.mkdir()
    for name, text in (("course.yaml", COURSE), ("alpha.yaml", ALPHA), ("beta.yaml", BETA)):
        (demo / name).write_text(text, encoding="utf-8")
    return root


async def make_post(
    core: Core,
    *,
    guild_id: int = 1,
    origin: Origin = Origin.MANUAL,
    item_id: str = "alpha.q.first",
    element_id: str = "alpha",
    correct: int = 1,
    options: int = 4,
    opens_at: datetime | None = None,
    open_for: timedelta | None = timedelta(hours=12),
    local_date: str | None = None,
    kind: PostKind = PostKind.QUESTION,
    order: tuple[int, ...] | None = None,
) -> Post:
    """Create a post opening now (or at opens_at) and return it."""
    opens = opens_at or core.clock.now()
    if origin is Origin.SCHEDULED and local_date is None:
        local_date = opens.date().isoformat()
    async with core.db.transaction() as tx:
        post = await core.posts.create(
            tx,
            NewPost(
                guild_id=guild_id,
                kind=kind,
                origin=origin,
                item_id=item_id,
                element_id=element_id,
                correct_option=correct,
                option_count=options,
                option_order=order,
                opens_at=opens,
                closes_at=opens + open_for if open_for else None,
                local_date=local_date,
            ),
        )
    assert post is not None
    return post


async def stored_answers(db: Database, post_id: int) -> list[Answer]:
    """Read a post's answers straight from the database, first answered first."""
    rows = await db.fetch_all(
        "SELECT post_id, user_id, display_name, choice, correct, points, answered_at FROM answers "
        "WHERE post_id = ? ORDER BY answered_at, user_id",
        (post_id,),
    )
    return [Answer(r[0], r[1], r[2], r[3], bool(r[4]), r[5], from_ms(r[6])) for r in rows]
