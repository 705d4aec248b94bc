"""A server's own course: upload limits, its own id space, and what the importer's child process is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.course.loader import load_catalog
from bot.domain.clock import FixedClock
from bot.domain.entities import PostKind
from bot.services import server_content
from bot.services.container import build_services
from bot.services.server_content import ServerContentService, UploadRefused, scoped_id
from bot.storage.db import Database
from bot.storage.server_content import ServerContentRepository
from bot.uploads import UPLOAD_MAX_BYTES, _child_env, _lint_by_item, convert
from tests.helpers import write_two_courses

GIFT = (Path(__file__).resolve().parents[1] / "e2e" / "data" / "service.gift").read_bytes()


@pytest.fixture
def service(db: Database, clock: FixedClock) -> ServerContentService:
    return ServerContentService(ServerContentRepository(db), clock, convert)


async def test_two_servers_uploading_the_same_file_get_separate_ids(service: ServerContentService) -> None:
    """The same GIFT file in two servers gives two sets of items whose ids never meet."""
    await service.upload(1, "service.gift", GIFT)
    await service.upload(2, "service.gift", GIFT)
    first, second = await service.next_pending(1), await service.next_pending(2)
    assert first is not None and second is not None
    assert first.item_id != second.item_id and first.item_id.startswith(scoped_id(1, ""))


async def test_uploading_a_file_twice_adds_nothing_the_second_time(service: ServerContentService) -> None:
    """Items already uploaded are left as they are and counted as skipped."""
    assert (await service.upload(1, "service.gift", GIFT)).questions == 2
    again = await service.upload(1, "service.gift", GIFT)
    assert (again.questions, again.skipped) == (0, 2)


async def test_a_file_over_the_size_limit_is_refused(service: ServerContentService) -> None:
    """More than 256 KB is refused before anything is imported."""
    with pytest.raises(UploadRefused, match="at most 256 KB"):
        await service.upload(1, "big.gift", GIFT + b"/" * UPLOAD_MAX_BYTES)


async def test_a_server_over_its_item_limit_is_refused(
    service: ServerContentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that would pass its item limit gets nothing from the file, and is told why."""
    monkeypatch.setattr(server_content, "ITEMS_PER_SERVER_MAX", 1)
    with pytest.raises(UploadRefused, match="at most 1 in all"):
        await service.upload(1, "service.gift", GIFT)
    assert await service.next_pending(1) is None


async def test_approved_items_make_the_servers_course_and_rejected_ones_stay_out(
    service: ServerContentService,
) -> None:
    """Only approved items reach the server's course, marked reviewed so that they can be posted."""
    await service.upload(7, "service.gift", GIFT)
    first = await service.next_pending(7)
    assert first is not None and await service.review(7, first.item_id, approve=True)
    second = await service.next_pending(7)
    assert second is not None and await service.review(7, second.item_id, approve=False)
    assert not await service.review(7, second.item_id, approve=True)  # already reviewed
    (course,) = (await service.approved_content()).courses
    (element,) = course.elements
    assert [q.id for q in element.questions] == [first.item_id]
    assert element.questions[0].origin is not None and element.questions[0].origin.reviewed


def test_the_importer_never_sees_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child process that reads a tutor's file gets no DISCORD_TOKEN or other setting."""
    monkeypatch.setenv("DISCORD_TOKEN", "secret")
    monkeypatch.setenv("DATA_DIR", "/somewhere")
    env = _child_env()
    assert "DISCORD_TOKEN" not in env and "DATA_DIR" not in env


def test_lint_findings_are_given_to_the_item_they_name() -> None:
    """A lint line 'file:line: id: message' becomes a warning on that item."""
    found = _lint_by_item(["x/a.yaml:12: heat: the right option is the longest", "Near-duplicate pairs: 0"], {"heat"})
    assert found == {"heat": ["the right option is the longest"]}


def test_a_long_id_stays_within_the_id_limit_and_distinct() -> None:
    """Ids near the 64-character limit are shortened with a hash, so two of them never become one."""
    a, b = scoped_id(1234567890123456789, "x" * 60 + "a"), scoped_id(1234567890123456789, "x" * 60 + "b")
    assert len(a) <= 64 and len(b) <= 64 and a != b


async def test_approved_items_join_the_servers_rotation_and_stay_out_of_others(
    db: Database, clock: FixedClock, service: ServerContentService, tmp_path: Path
) -> None:
    """Posts without an element draw on the server's course and its approved items; another server never gets them."""
    await service.upload(1, "service.gift", GIFT)
    pending = await service.next_pending(1)
    assert pending is not None and await service.review(1, pending.item_id, approve=True)
    base = load_catalog(write_two_courses(tmp_path / "content"))
    services = build_services(db, base.merged(await service.approved_content()), clock, default_course="demo")
    rotation = len(base.question_ids(course_id="demo")) + 1
    posted = {
        (await services.posting.open_manual(guild, 10, PostKind.QUESTION, None, 60, seed=n)).post.item_id
        for guild in (1, 2)
        for n in range(rotation)
    }
    mine = {p.item_id for p in await services.posting.open_posts() if p.guild_id == 1}
    theirs = {p.item_id for p in await services.posting.open_posts() if p.guild_id == 2}
    assert pending.item_id in mine and pending.item_id not in theirs and pending.item_id in posted
