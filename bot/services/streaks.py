"""Daily-question streaks: kept with each answer, read back without walking the server's history."""

from __future__ import annotations

from datetime import datetime

from bot.domain.clock import to_ms
from bot.domain.entities import Post, PostKind
from bot.domain.streaks import (
    Streaks,
    StreakState,
    compute_streaks,
    state_after_answer,
    state_from_history,
    streaks_now,
)
from bot.storage.answers import scheduled_history
from bot.storage.db import Connection
from bot.storage.streaks import (
    answered_scheduled_before,
    later_scheduled_open,
    previous_scheduled,
    read_state,
    write_state,
)

STREAK_KIND = PostKind.QUESTION  # streaks count daily questions (the only ones any reply or command shows)


def keep_streaks_in(conn: Connection, post: Post, user_id: int, correct: bool, kept: StreakState | None) -> None:
    """Update the learner's streak state (kept: as read before the answer) for an answer just recorded to a
    scheduled post, in the same transaction."""
    kind = post.kind.value
    opened_ms = to_ms(post.opens_at)
    state = kept
    if state is None and not answered_scheduled_before(conn, post.guild_id, user_id, kind, post.post_id):
        state = StreakState(post.post_id, opened_ms, 1, int(correct), 1, int(correct))  # a learner's first
    elif state is None or (opened_ms, post.post_id) < (state.last_opened_ms, state.last_post_id):
        # Nothing kept (answers from before streaks were kept, or rows dropped with deleted data), or an older post
        # answered after a newer one: count from the whole history, which already holds this answer.
        state = recount_state(conn, post.guild_id, user_id, kind)
        if state is None:  # cannot happen: the history holds this answer
            return
    else:
        previous = previous_scheduled(conn, post.guild_id, kind, post.post_id, opened_ms)
        state = state_after_answer(state, post.post_id, opened_ms, previous, correct)
    write_state(conn, post.guild_id, user_id, kind, state, replacing=kept is not None)


def recount_state(conn: Connection, guild_id: int, user_id: int, kind: str) -> StreakState | None:
    """Return the learner's streak state counted from every scheduled post of the kind (it does not depend on now)."""
    history = scheduled_history(conn, guild_id, kind, user_id, None)
    return state_from_history(history.post_ids, history.opened_ms, history.answered)


def streaks_in(conn: Connection, guild_id: int, user_id: int, now: datetime) -> Streaks:
    """Return the learner's daily-question streaks, read on the caller's connection (the answer path reads them as
    it records)."""
    kind = STREAK_KIND.value
    state = read_state(conn, guild_id, user_id, kind)
    if state is None and not answered_scheduled_before(conn, guild_id, user_id, kind, 0):
        return Streaks(0, 0, 0, 0)
    if state is None:  # answered only before streaks were kept: count from the history
        history = scheduled_history(conn, guild_id, kind, user_id, now)
        return compute_streaks(history.post_ids, history.answered, history.open_post_id)
    return streaks_now(state, later_scheduled_open(conn, guild_id, kind, state, to_ms(now)))
