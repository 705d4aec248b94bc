"""Messages of a live class quiz: lobby, question with countdown, reveal, podium and the CSV file."""

from __future__ import annotations

import io
from datetime import datetime

import discord

from bot.domain.classquiz import ClassQuiz, Mode
from bot.services.classquiz import OpenedQuestion, QuizResults, Reveal, Standing
from bot.ui.boards import MEDALS, safe_name
from bot.ui.text import LETTERS, bar, clip, plural, timestamp

COLOUR = discord.Colour.gold()


def lobby_embed(quiz: ClassQuiz, element_title: str | None, first_at: datetime | None) -> discord.Embed:
    """Return the lobby: what the quiz is and when it begins."""
    how = (
        "Each question moves on when time is up or everyone playing has answered."
        if quiz.mode is Mode.TIMED
        else "The tutor moves on to each question with /class next."
    )
    begins = f"The first question comes {timestamp(first_at)}." if first_at else "The tutor starts it with /class next."
    lines = [
        f"{plural(quiz.question_count, 'question')} from {element_title or 'the whole course'}, "
        f"{quiz.seconds} seconds each.",
        "Faster right answers score more: 100 points at once, down to 50 at the time limit.",
        how,
        begins,
    ]
    return discord.Embed(title=f"Class quiz #{quiz.quiz_id} · get ready", description="\n".join(lines), colour=COLOUR)


def question_embed(opened: OpenedQuestion) -> discord.Embed:
    """Return a question with its options and a countdown that Discord keeps up to date."""
    question, quiz = opened.item.item, opened.quiz
    lines = [question.prompt, ""]
    lines += [f"**{LETTERS[i]}** {option}" for i, option in enumerate(opened.post.shown(question.choices))]
    if opened.post.closes_at is not None:
        lines += ["", f"⏱️ Time's up {timestamp(opened.post.closes_at)}."]
    embed = discord.Embed(
        title=clip(f"Question {opened.number}/{quiz.question_count} · {opened.item.element.title}", 256),
        description=clip("\n".join(lines), 4096),
        colour=COLOUR,
    )
    embed.set_footer(text="Only your first answer counts; faster right answers score more.")
    return embed


def reveal_embed(reveal: Reveal, *, waiting_for_tutor: bool) -> discord.Embed:
    """Return the answer, a text bar chart of the class's choices and the top 5 so far."""
    question, right = reveal.item.item, reveal.post.correct_option
    total = sum(reveal.choice_counts)
    spread = []
    for i, count in enumerate(reveal.choice_counts):
        share = count / total if total else 0.0
        mark = " ✅" if i == right else ""
        spread.append(f"`{LETTERS[i]}` `{bar(share)}` {count}{mark}")
    embed = discord.Embed(
        title=f"Question {reveal.number}/{reveal.quiz.question_count} · answer",
        description=clip(
            f"**{LETTERS[right]}** {reveal.post.shown(question.choices)[right]}\n\n{question.explanation}", 4096
        ),
        colour=COLOUR,
    )
    embed.add_field(name=f"How the class chose ({total})", value="\n".join(spread), inline=False)
    embed.add_field(name="Top 5 so far", value=_table(reveal.top) or "Nobody has scored yet.", inline=False)
    if waiting_for_tutor:
        last = reveal.number >= reveal.quiz.question_count
        embed.set_footer(text="Tutor: /class next for " + ("the results." if last else "the next question."))
    return embed


def results_embed(results: QuizResults, note: str | None = None) -> discord.Embed:
    """Return the podium, everyone's score and the questions the class found hardest."""
    quiz, standings = results.quiz, results.standings
    podium = "\n".join(
        f"{MEDALS[s.rank]} **{safe_name(s.name)}** · {s.points} points" for s in standings if s.rank in MEDALS
    )
    lines = [note] if note else []
    lines.append(f"{plural(results.asked, 'question')} asked.")
    lines.append(podium or "Nobody answered.")
    embed = discord.Embed(
        title=f"Class quiz #{quiz.quiz_id} · results", description=clip("\n".join(lines), 4096), colour=COLOUR
    )
    if standings:
        embed.add_field(name="Everyone", value=clip(_table(standings), 1024), inline=False)
    hard = [
        f"Q{h.number}: {h.correct}/{h.learners} right · {clip(h.prompt, 80)}" for h in results.hardest if h.learners
    ]
    if hard:
        embed.add_field(name="Hardest questions", value=clip("\n".join(hard), 1024), inline=False)
    return embed


def csv_file(results: QuizResults) -> discord.File:
    """Return the CSV of every learner's answer to every question as an attachment."""
    return discord.File(io.BytesIO(results.csv_text.encode("utf-8")), filename=f"class-quiz-{results.quiz.quiz_id}.csv")


def _table(standings: tuple[Standing, ...]) -> str:
    return "\n".join(f"{s.rank}. {safe_name(s.name)} · {s.points} ({s.correct} right)" for s in standings)
