"""Shards: a server's shard, SHARD_IDS parsing, which servers a process schedules, the IDENTIFY buckets."""

from __future__ import annotations

import pytest

from bot.domain.shards import IdentifyGate, ShardFilter, describe_shard_ids, parse_shard_ids, shard_of


def test_a_server_is_on_the_shard_discord_computes() -> None:
    """(guild_id >> 22) % shard_count, as Discord documents it."""
    assert shard_of(41771983423143937, 1) == 0
    assert shard_of(41771983423143937, 4) == (41771983423143937 >> 22) % 4
    assert shard_of(5 << 22, 4) == 1


@pytest.mark.parametrize(
    ("text", "ids"), [("0-3", (0, 1, 2, 3)), ("0,2,5", (0, 2, 5)), ("4, 0-1", (0, 1, 4)), ("7", (7,))]
)
def test_shard_ids_are_ranges_or_lists(text: str, ids: tuple[int, ...]) -> None:
    """Ranges and lists both give sorted ids."""
    assert parse_shard_ids(text) == ids


@pytest.mark.parametrize("text", ["a", "1-", "-1", "3-1", "0,,1", "1.5"])
def test_malformed_shard_ids_are_refused(text: str) -> None:
    """Anything but ids and ascending ranges is refused."""
    with pytest.raises(ValueError, match=r"shard id|backwards"):
        parse_shard_ids(text)


def test_shard_ids_are_described_as_ranges() -> None:
    assert describe_shard_ids([5, 0, 1, 2]) == "0-2, 5"


def test_a_process_with_every_shard_schedules_every_server() -> None:
    """No SHARD_IDS (or no SHARD_COUNT): nothing is filtered."""
    assert ShardFilter().owns(5 << 22)
    assert ShardFilter(4).owns(5 << 22)


def test_a_process_schedules_only_servers_on_its_shards() -> None:
    owner = ShardFilter(4, (0, 1))
    assert owner.owns(4 << 22) and owner.owns(5 << 22)
    assert not owner.owns(6 << 22) and not owner.owns(7 << 22)


def test_each_server_is_owned_by_exactly_one_process() -> None:
    """Processes that split the shards between them never both schedule one server."""
    processes = [ShardFilter(3, (0,)), ShardFilter(3, (1, 2))]
    for stamp in range(12):
        assert sum(p.owns(stamp << 22 | 99) for p in processes) == 1


def test_identify_waits_only_for_its_own_bucket() -> None:
    """With max_concurrency 2, shards 0 and 1 go at once; shard 2 waits until 5 s after shard 0."""
    gate = IdentifyGate(max_concurrency=2, window=5.0)
    assert gate.wait(0, 100.0) == 0
    gate.identified(0, 100.0)
    assert gate.wait(1, 100.5) == 0
    gate.identified(1, 100.5)
    assert gate.wait(2, 101.0) == pytest.approx(4.0)
    assert gate.wait(3, 101.0) == pytest.approx(4.5)
    assert gate.wait(2, 105.0) == 0


def test_max_concurrency_one_spaces_every_identify() -> None:
    gate = IdentifyGate(max_concurrency=1, window=5.0)
    gate.identified(0, 10.0)
    assert gate.wait(1, 12.0) == pytest.approx(3.0)
