"""/class: a tutor runs a live quiz in a channel; the scheduler times each question."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.classquiz import Mode, Phase, Step, everyone_answered
from bot.domain.entities import PostState
from bot.services.classquiz import ClassQuizService, QuizAlreadyLive, QuizResults
from bot.services.posting import NothingToPost
from bot.ui.checks import guild_id_of, server_course, tutor_only
from bot.ui.choices import element_autocomplete
from bot.ui.classquiz import csv_file, lobby_embed, question_embed, results_embed, reveal_embed
from bot.ui.errors import UserFacingError
from bot.ui.options import Bounded, ElementId, Pick
from bot.ui.posts import post_view

if TYPE_CHECKING:
    from bot.domain.entities import Post
    from bot.ui.client import RevisionClient

log = logging.getLogger(__name__)

LOBBY_WAIT = timedelta(seconds=15)  # timed quizzes: time to read the lobby before question 1
REVEAL_PAUSE = timedelta(seconds=8)  # timed quizzes: time to read each reveal before the next question
NONE = discord.AllowedMentions.none()
MODES = [app_commands.Choice(name=m.value, value=m.value) for m in Mode]
QuestionCount = app_commands.Transform[int, Bounded("questions", 1, 20)]  # the limits of the class_quizzes table
Seconds = app_commands.Transform[int, Bounded("seconds", 10, 120)]
ModeChoice = app_commands.Transform[app_commands.Choice[str], Pick("mode", MODES)]
QuizNumber = app_commands.Transform[
    int, Bounded("quiz", 1, 2**53 - 1, refusal="quiz must be the number of a class quiz: start typing to pick one.")
]


def question_job_id(quiz_id: int, index: int) -> str:
    return f"class:{quiz_id}:{index}"


def next_job_id(quiz_id: int) -> str:
    return f"class:{quiz_id}:next"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ClassQuiz(commands.GroupCog, group_name="class", group_description="Run a live class quiz (tutors)"):
    """Live class quizzes."""

    def __init__(self, bot: RevisionClient) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = {}
        super().__init__()

    @property
    def service(self) -> ClassQuizService:
        return self.bot.services.class_quizzes  # looked up each time: a content reload swaps the services

    async def cog_load(self) -> None:
        await self.resume_or_end_all()

    @app_commands.command(name="start", description="Start a live quiz in this channel")
    @app_commands.describe(
        element="Only from this element (default: any)",
        questions="How many questions (1-20, default 10)",
        seconds="Seconds for each question (10-120, default 30)",
        mode="timed: moves on by itself; paced: waits for /class next",
    )
    @app_commands.autocomplete(element=element_autocomplete)
    @tutor_only()
    async def start(
        self,
        interaction: discord.Interaction[RevisionClient],
        element: ElementId | None = None,
        questions: QuestionCount = 10,
        seconds: Seconds = 30,
        mode: ModeChoice | None = None,
    ) -> None:
        """Open a quiz's lobby in this channel."""
        guild_id = guild_id_of(interaction)
        if interaction.channel_id is None:
            raise UserFacingError("Use this command in the channel where the quiz should run.")
        await server_course(interaction, element)
        try:
            quiz = await self.service.start(
                guild_id,
                interaction.channel_id,
                interaction.user.id,
                element,
                questions,
                seconds,
                Mode(mode.value) if mode else Mode.TIMED,
            )
        except QuizAlreadyLive as exc:
            raise UserFacingError(
                f"Class quiz #{exc.quiz.quiz_id} is already running in this channel. End it with /class stop first."
            ) from None
        except NothingToPost as exc:
            raise UserFacingError(f"Cannot start a quiz: {exc}.") from None
        first_at = self.bot.services.clock.now() + LOBBY_WAIT if quiz.mode is Mode.TIMED else None
        title = self.bot.services.catalog.element(element).title if element else None
        await interaction.response.send_message(embed=lobby_embed(quiz, title, first_at), allowed_mentions=NONE)
        if first_at is not None:
            self._schedule(next_job_id(quiz.quiz_id), first_at, self._next_job, quiz.quiz_id, Phase.LOBBY.value, -1)

    @app_commands.command(name="next", description="Move the quiz on: next question, reveal, or the results")
    @tutor_only()
    async def next(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """Open the next question, reveal the open one, or finish after the last."""
        quiz = await self._live_here(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        text, results = await self.advance(quiz.quiz_id)
        await self._reply(interaction, text, results)

    @app_commands.command(name="stop", description="End the quiz now and show the results so far")
    @tutor_only()
    async def stop(self, interaction: discord.Interaction[RevisionClient]) -> None:
        """End this channel's quiz early; everyone still gets the results."""
        quiz = await self._live_here(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._lock(quiz.quiz_id):
            results = await self._finish(quiz.quiz_id, "stopped", "The tutor ended the quiz early.")
        await self._reply(interaction, "The quiz has ended." if results else "The quiz had already ended.", results)

    @app_commands.command(name="results", description="Get a past quiz's results and CSV")
    @app_commands.describe(quiz="Which quiz (default: the latest in this server)")
    @tutor_only()
    async def results(self, interaction: discord.Interaction[RevisionClient], quiz: QuizNumber | None = None) -> None:
        """Send the tutor a quiz's scores and its CSV privately."""
        guild_id = guild_id_of(interaction)
        if quiz is None:
            recent = await self.service.recent(guild_id, 1)
            quiz = recent[0].quiz_id if recent else None
        found = await self.service.results(quiz) if quiz is not None else None
        if found is None or found.quiz.guild_id != guild_id:
            raise UserFacingError("There is no such class quiz in this server.")
        await interaction.response.send_message(embed=results_embed(found), file=csv_file(found), ephemeral=True)

    @results.autocomplete("quiz")
    async def _quiz_autocomplete(
        self, interaction: discord.Interaction[RevisionClient], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        choices = []
        for q in await self.service.recent(interaction.guild_id, 25):
            label = f"#{q.quiz_id} · {q.started_at:%Y-%m-%d %H:%M} UTC · {q.question_count} questions · {q.phase.value}"
            if current.strip().lstrip("#") in str(q.quiz_id):
                choices.append(app_commands.Choice(name=label[:100], value=q.quiz_id))
        return choices

    @commands.Cog.listener()
    async def on_class_quiz_answer(self, post: Post) -> None:
        """Close a timed question early once everyone present has answered it.

        The answer button dispatches this after it has recorded a click on a class quiz's post (see
        bot/ui/posts.py), so clicks on the daily posts cost this cog nothing.
        """
        try:
            await self._maybe_close_early(post)
        except Exception:
            if not self.bot.is_closed():
                log.exception("early close check failed post=%s", post.post_id)

    async def _maybe_close_early(self, post: Post) -> None:
        if post.class_quiz_id is None:
            return
        quiz = await self.service.get(post.class_quiz_id)
        if quiz is None or quiz.phase is not Phase.QUESTION or quiz.mode is not Mode.TIMED:
            return
        current = await self.service.current_post(quiz)
        if current is None or current.post_id != post.post_id:
            return
        answered, present = await self.service.answered_and_present(quiz, post.post_id)
        if everyone_answered(quiz.mode, present, answered):
            log.info("everyone answered quiz=%s index=%s", quiz.quiz_id, quiz.index)
            await self._time_up(quiz.quiz_id, quiz.index)

    async def advance(self, quiz_id: int) -> tuple[str, QuizResults | None]:
        """Make the quiz's next move; return what to tell the tutor and, at the end, the results."""
        async with self._lock(quiz_id):
            quiz = await self.service.get(quiz_id)
            if quiz is None or not quiz.state.live:
                return "The quiz has already ended.", None
            self._unschedule(next_job_id(quiz_id))
            step = quiz.state.next_step()
            if step is Step.OPEN:
                number = await self._open(quiz_id)
                if number is not None:
                    return f"Question {number} is open.", None
                results = await self._finish(quiz_id, "finished", "There are no more questions.")
                return "There were no more questions, so the quiz has ended.", results
            if step is Step.REVEAL:
                await self._reveal(quiz_id, quiz.index)
                return f"Question {quiz.index + 1} is closed and its answer shown.", None
            results = await self._finish(quiz_id, "finished", None)
            return "The quiz has finished.", results

    async def _open(self, quiz_id: int) -> int | None:
        opened = await self.service.open_next(quiz_id)
        if opened is None:
            return None
        post = opened.post
        channel = self.bot.get_partial_messageable(opened.quiz.channel_id)
        try:
            message = await channel.send(
                embed=question_embed(opened), view=post_view(post, opened.item), allowed_mentions=NONE
            )
        except discord.HTTPException as exc:
            log.warning("class question not sent quiz=%s error=%s", quiz_id, exc)
            await self.service.finish(quiz_id, "failed")
            raise UserFacingError("Discord refused the question, so the quiz has ended.") from exc
        await self.bot.services.posting.attach_message(post.post_id, message.channel.id, message.id)
        if post.closes_at is not None:
            job = question_job_id(quiz_id, opened.quiz.index)
            self._schedule(job, post.closes_at, self._time_up, quiz_id, opened.quiz.index)
        return opened.number

    async def _reveal(self, quiz_id: int, index: int) -> None:
        self._unschedule(question_job_id(quiz_id, index))
        reveal = await self.service.reveal(quiz_id, index)
        if reveal is None:
            return
        await self._disable_buttons(reveal.post)
        timed = reveal.quiz.state.moves_on_by_itself()
        channel = self.bot.get_partial_messageable(reveal.quiz.channel_id)
        await channel.send(embed=reveal_embed(reveal, waiting_for_tutor=not timed), allowed_mentions=NONE)
        if timed:
            when = self.bot.services.clock.now() + REVEAL_PAUSE
            self._schedule(next_job_id(quiz_id), when, self._next_job, quiz_id, Phase.REVEAL.value, index)

    async def _finish(self, quiz_id: int, reason: str, note: str | None) -> QuizResults | None:
        quiz = await self.service.get(quiz_id)
        if quiz is None:
            return None
        current = await self.service.current_post(quiz)
        results = await self.service.finish(quiz_id, reason)
        if results is None:
            return None
        self._unschedule(next_job_id(quiz_id))
        self._unschedule(question_job_id(quiz_id, quiz.index))
        if current is not None and current.state is PostState.OPEN:
            await self._disable_buttons(current)
        if note is None and reason == "finished":
            note = f"Tutor: /class results {quiz_id} gives the CSV of every answer."
        channel = self.bot.get_partial_messageable(quiz.channel_id)
        await channel.send(embed=results_embed(results, note), allowed_mentions=NONE)
        return results

    async def _disable_buttons(self, post: Post) -> None:
        """Disable a closed question's buttons; a failed edit is retried like any closing edit."""
        await self.bot.delivery.reveal(post.post_id)

    async def _time_up(self, quiz_id: int, index: int) -> None:
        """Reveal question index when its time is up (the scheduler's job)."""
        try:
            async with self._lock(quiz_id):
                await self._reveal(quiz_id, index)
        except Exception:
            log.exception("class reveal failed quiz=%s index=%s", quiz_id, index)

    async def _next_job(self, quiz_id: int, phase: str, index: int) -> None:
        """Move a timed quiz on after the lobby or a reveal, unless the tutor already did."""
        try:
            quiz = await self.service.get(quiz_id)
            if quiz is not None and quiz.phase.value == phase and quiz.index == index:
                await self.advance(quiz_id)
        except Exception:
            log.exception("class quiz could not move on quiz=%s", quiz_id)

    async def resume_or_end_all(self) -> None:
        """After a restart: resume a quiz whose question is still open, end any other cleanly."""
        service, now = self.service, self.bot.services.clock.now()
        for quiz in await service.live():
            if not self.bot.shard_filter.owns(quiz.guild_id):
                continue  # the process that runs the quiz's shard resumes or ends it
            try:
                post = await service.current_post(quiz) if quiz.phase is Phase.QUESTION else None
                channel = self.bot.get_partial_messageable(quiz.channel_id)
                if post is not None and post.state is PostState.OPEN and post.closes_at and post.closes_at > now:
                    self._schedule(
                        question_job_id(quiz.quiz_id, quiz.index),
                        post.closes_at,
                        self._time_up,
                        quiz.quiz_id,
                        quiz.index,
                    )
                    await channel.send(
                        f"The bot restarted. Class quiz #{quiz.quiz_id} carries on: question {quiz.index + 1} "
                        f"is still open until <t:{int(post.closes_at.timestamp())}:R>.",
                        allowed_mentions=NONE,
                    )
                    log.info("class quiz resumed quiz=%s index=%s", quiz.quiz_id, quiz.index)
                else:
                    note = f"The bot restarted, so class quiz #{quiz.quiz_id} has ended with the results so far."
                    await self._finish(quiz.quiz_id, "restart", note)
            except Exception:
                log.exception("class quiz could not be resumed or ended quiz=%s", quiz.quiz_id)

    async def _live_here(self, interaction: discord.Interaction[RevisionClient]) -> Any:
        guild_id_of(interaction)
        quiz = await self.service.live_in_channel(interaction.channel_id or 0)
        if quiz is None:
            raise UserFacingError("No class quiz is running in this channel. Start one with /class start.")
        return quiz

    async def _reply(
        self, interaction: discord.Interaction[RevisionClient], text: str, results: QuizResults | None
    ) -> None:
        if results is None:
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.followup.send(
                text + " The CSV of every answer is attached.", file=csv_file(results), ephemeral=True
            )

    def _lock(self, quiz_id: int) -> asyncio.Lock:
        return self._locks.setdefault(quiz_id, asyncio.Lock())

    def _schedule(self, job_id: str, run_at: datetime, job: Callable[..., Awaitable[None]], *args: Any) -> None:
        self.bot.scheduler.schedule_at(job_id, run_at, job, *args)

    def _unschedule(self, job_id: str) -> None:
        self.bot.scheduler.remove(job_id)


async def setup(bot: RevisionClient) -> None:
    await bot.add_cog(ClassQuiz(bot))
