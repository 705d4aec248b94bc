"""Option order per post: a shuffle that is stable for a post, and items that keep their written order."""

from __future__ import annotations

from collections import Counter

from bot.course.models import Challenge, Question
from bot.domain.options import decode, encode, shown, shuffled_order, written_index
from bot.services.posting import layout

OPTIONS = ("Repair or replacement", "A full refund", "Nothing", "A gift card")


def _question(**extra: object) -> Question:
    return Question.model_validate(
        {
            "id": "demo.q.one",
            "prompt": "A kettle broke after a week. What may the customer ask for?",
            "options": list(OPTIONS),
            "answer": 1,
            "explanation": "Within 30 days the short-term right to reject gives a full refund.",
            "difficulty": 2,
            **extra,
        }
    )


def test_the_same_seed_gives_the_same_order_and_other_seeds_others() -> None:
    """A post keeps its order (the same seed), and posts differ from each other."""
    assert shuffled_order(4, "guild:1:2026-12-07") == shuffled_order(4, "guild:1:2026-12-07")
    orders = {shuffled_order(4, f"seed-{n}") for n in range(50)}
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders)
    assert len(orders) > 10


def test_the_right_answer_lands_in_every_place_about_equally() -> None:
    """Over many posts the right option is shown in each place, none more than a third of the time."""
    question = _question()
    places = Counter(layout(question, f"post-{n}")[0] for n in range(400))
    assert set(places) == {0, 1, 2, 3}
    assert max(places.values()) < 400 / 3


def test_layout_points_at_the_right_option_as_shown() -> None:
    """The right place of a shuffled post shows the right option's text."""
    question = _question()
    for n in range(20):
        correct, count, order = layout(question, f"post-{n}")
        assert count == 4
        assert shown(question.choices, order)[correct] == "A full refund"
        assert written_index(correct, order) == question.correct_index


def test_true_false_fixed_order_and_challenges_keep_the_written_order() -> None:
    """True/false, items marked fixed_order, and spot-the-mistake replies are never shuffled."""
    true_false = Question.model_validate(
        {
            "id": "demo.q.tf",
            "kind": "true_false",
            "prompt": "True or false: a refund is due.",
            "answer": False,
            "explanation": "Not for a change of mind.",
            "difficulty": 1,
        }
    )
    challenge = Challenge.model_validate(
        {
            "id": "demo.spot.one",
            "kind": "statements",
            "options": ["Listen first.", "Offer a fix before listening.", "Follow up."],
            "mistake": 1,
            "misconception": "demo.mis.one",
            "explanation": "Listen before solving.",
            "helps": ["demo.tip.one"],
        }
    )
    assert layout(true_false, "x") == (1, 2, None)
    assert layout(_question(fixed_order=True), "x") == (1, 4, None)
    assert layout(challenge, "x") == (1, 3, None)


def test_an_order_is_stored_and_read_back() -> None:
    """The order survives the trip through the database's text column."""
    assert decode(encode((2, 0, 3, 1))) == (2, 0, 3, 1)
    assert encode(None) is None and decode(None) is None


def test_an_order_that_no_longer_fits_edited_content_shows_the_written_order() -> None:
    """If an author removed an option after posting, the post falls back to the written order."""
    assert shown(("A", "B", "C"), (3, 1, 0, 2)) == ("A", "B", "C")
    assert shown(("A", "B", "C", "D"), (3, 1, 0, 2)) == ("D", "B", "A", "C")
