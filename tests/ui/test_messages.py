"""What learners read: embeds within Discord's limits, clear feedback, no pings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.course.loader import load_catalog
from bot.domain.entities import Answer, Post, PostKind, PostState
from bot.domain.scoring import Origin
from bot.domain.streaks import Streaks
from bot.logging_setup import RedactingFilter
from bot.services.answers import AnswerOutcome, AnswerStatus
from bot.services.posting import ClosedPost
from bot.ui.choices import timezone_choices
from bot.ui.posts import AnswerButton, post_view
from bot.ui.questions import closed_question_embed, feedback_message, question_embed

CONTENT = Path(__file__).resolve().parents[2] / "content"
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _post(item_id: str, correct: int, options: int, state: PostState = PostState.OPEN) -> Post:
    return Post(
        1,
        10,
        PostKind.QUESTION,
        Origin.SCHEDULED,
        item_id,
        "x",
        correct,
        options,
        NOW,
        NOW + timedelta(hours=12),
        state,
        20,
        30,
        "2026-03-02",
    )


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


def test_every_shipped_question_fits_discords_limits(catalog) -> None:
    """Each question's open and closed embeds and its buttons stay within Discord's limits."""
    for located in catalog.questions():
        q = located.item
        post = _post(q.id, q.correct_index, len(q.choices))
        embed = question_embed(post, located)
        closed = closed_question_embed(ClosedPost(post, located, tuple(range(len(q.choices)))))
        for e in (embed, closed):
            assert len(e) <= 6000
            assert len(e.title or "") <= 256 and len(e.description or "") <= 4096
            assert len(e.fields) <= 25 and all(len(f.value or "") <= 1024 for f in e.fields)
        view = post_view(post, located)
        assert len(view.children) == len(q.choices) <= 5
        for button in view.children:
            assert len(button.custom_id or "") <= 100  # type: ignore[attr-defined]
            assert len(button.item.label or "") <= 80  # type: ignore[attr-defined]


def test_custom_ids_at_the_largest_post_id_fit() -> None:
    """Even a 19-digit post id keeps custom ids within 100 characters."""
    button = AnswerButton(9_223_372_036_854_775_807, 4, "x" * 80)
    assert len(button.custom_id) <= 100


def test_closed_embed_shows_the_answer_and_the_spread(catalog) -> None:
    """After closing: the right answer, each option's share, and the explanation."""
    located = catalog.question(catalog.question_ids("value")[0])
    q = located.item
    post = _post(q.id, q.correct_index, len(q.choices), PostState.CLOSED)
    counts = tuple(3 if i == q.correct_index else 1 for i in range(len(q.choices)))
    embed = closed_question_embed(ClosedPost(post, located, counts))
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Answer"].startswith(f"**{'ABCDE'[q.correct_index]}**")
    assert "✅" in fields["How the server answered"]
    assert fields["Why"] == q.explanation
    assert embed.footer.text == f"{sum(counts)} learners answered."


def test_feedback_for_each_outcome(catalog) -> None:
    """Right, wrong, second click and late click each get a clear private message."""
    located = catalog.question(catalog.question_ids("value")[0])
    q = located.item
    post = _post(q.id, 1, 4)
    right = Answer(1, 5, "Ann", 1, True, 10, NOW)
    wrong = Answer(1, 5, "Ann", 2, False, 0, NOW)
    streaks = Streaks(3, 5, 2, 4)
    text = feedback_message(AnswerOutcome(AnswerStatus.RECORDED, post, right), located, streaks)
    assert text.startswith("✅ Right! **B** is correct. +10 points.")
    assert q.explanation in text and "Daily streak: 3 days (best 5)" in text
    text = feedback_message(AnswerOutcome(AnswerStatus.RECORDED, post, wrong), located, streaks)
    assert text.startswith("❌ Not quite. You chose **C**; the answer is **B**.")
    text = feedback_message(AnswerOutcome(AnswerStatus.ALREADY_ANSWERED, post, wrong), located, None)
    assert text == "You already answered **C**. Only your first answer counts."
    text = feedback_message(AnswerOutcome(AnswerStatus.CLOSED, post), located, None)
    assert text == "This question has closed. The answer was **B**."


def test_timezone_autocomplete() -> None:
    """Typing a city finds its IANA zone; nothing typed suggests common ones; never more than 25."""
    assert [c.value for c in timezone_choices("london")] == ["Europe/London"]
    assert timezone_choices("")[0].value == "Europe/London"
    assert len(timezone_choices("a")) == 25
    assert any(c.value == "America/New_York" for c in timezone_choices("new y"))


def test_token_is_redacted_from_logs() -> None:
    """The bot's token, and anything shaped like one, never reaches a log line."""
    import logging

    # Built at run time so no token-shaped string sits in the repository.
    token = "M" + "T" * 23 + ".GabcDE." + "a" * 33
    redactor = RedactingFilter((token,))
    record = logging.LogRecord("discord.http", logging.INFO, __file__, 1, "sending %s", (f"Bot {token}",), None)
    redactor.filter(record)
    assert token not in record.getMessage()
    assert "[token redacted]" in record.getMessage()
    other = "N" + "z" * 23 + ".X-hvzA." + "O" * 27
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "leaked %s", (other,), None)
    redactor.filter(record)
    assert other not in record.getMessage()
