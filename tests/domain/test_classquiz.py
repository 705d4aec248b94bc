"""The class quiz state machine."""

from __future__ import annotations

import pytest

from bot.domain.classquiz import InvalidTransition, Mode, Phase, QuizState, Step, everyone_answered


def test_a_quiz_goes_through_every_question_then_finishes() -> None:
    """Lobby, then open and reveal each question, then finish after the last reveal."""
    state = QuizState(Mode.TIMED, 2)
    assert state.next_step() is Step.OPEN
    state = state.open_next()
    assert (state.phase, state.index) == (Phase.QUESTION, 0)
    assert state.next_step() is Step.REVEAL
    state = state.reveal()
    assert state.next_step() is Step.OPEN and state.moves_on_by_itself()
    state = state.open_next().reveal()
    assert state.is_last and state.next_step() is Step.FINISH
    state = state.finish()
    assert not state.live and state.next_step() is Step.NONE


def test_paced_quiz_waits_for_the_tutor_after_a_reveal() -> None:
    """A paced quiz does not move on by itself."""
    assert not QuizState(Mode.PACED, 3).open_next().reveal().moves_on_by_itself()


def test_invalid_moves_are_refused() -> None:
    """A question cannot open twice, nor a lobby be revealed, nor a finished quiz finish again."""
    with pytest.raises(InvalidTransition):
        QuizState(Mode.TIMED, 3).open_next().open_next()
    with pytest.raises(InvalidTransition):
        QuizState(Mode.TIMED, 3).reveal()
    with pytest.raises(InvalidTransition):
        QuizState(Mode.TIMED, 1).open_next().reveal().open_next()
    with pytest.raises(InvalidTransition):
        QuizState(Mode.TIMED, 3).finish().finish()


def test_stop_ends_the_quiz_from_any_live_phase() -> None:
    """Stopping works in the lobby, with a question open and after a reveal."""
    lobby = QuizState(Mode.PACED, 3)
    for state in (lobby, lobby.open_next(), lobby.open_next().reveal()):
        assert state.finish().phase is Phase.FINISHED


def test_timed_question_closes_early_only_when_everyone_present_answered() -> None:
    """Everyone present answering closes a timed question; nobody present or a paced quiz never does."""
    assert everyone_answered(Mode.TIMED, {1, 2}, {1, 2, 3})
    assert not everyone_answered(Mode.TIMED, {1, 2}, {1})
    assert not everyone_answered(Mode.TIMED, set(), set())
    assert not everyone_answered(Mode.PACED, {1}, {1})
