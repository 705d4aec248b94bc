"""Live class quizzes: start, open each question, reveal it, finish, and read results again later."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.course.catalog import Catalog, Located
from bot.course.models import OPTION_LETTERS as LETTERS
from bot.course.models import Question
from bot.domain.classquiz import ClassQuiz, Mode, Phase, QuizAnswer, Step
from bot.domain.clock import Clock
from bot.domain.entities import NewPost, Post, PostKind, PostState
from bot.domain.ranking import competition_ranks
from bot.domain.scoring import Origin
from bot.domain.spreadsheet import spreadsheet_text
from bot.services.courses import CourseService
from bot.services.posting import NothingToPost, layout
from bot.storage.classquiz import ClassQuizRepository
from bot.storage.db import Database
from bot.storage.posts import PostRepository

log = logging.getLogger(__name__)

TOP = 5
HARDEST = 3
# "answer" is the letter the learner saw (options are shuffled per post); "answer_text" says which option it was.
CSV_HEADER = (
    "question",
    "question_id",
    "learner",
    "learner_id",
    "answer",
    "answer_text",
    "correct",
    "seconds",
    "points",
)


class QuizAlreadyLive(Exception):
    """The channel already has a live class quiz."""

    def __init__(self, quiz: ClassQuiz) -> None:
        super().__init__(f"quiz {quiz.quiz_id} is already running in this channel")
        self.quiz = quiz


class _Moved(Exception):
    """Something else moved the quiz on first (a click of /class next racing the timer)."""


@dataclass(frozen=True, slots=True)
class OpenedQuestion:
    quiz: ClassQuiz
    post: Post
    item: Located[Question]

    @property
    def number(self) -> int:
        return self.quiz.index + 1


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    name: str
    points: int
    correct: int
    rank: int  # shared by equal points, as on the leaderboards (1, 2, 2, 4)


@dataclass(frozen=True, slots=True)
class Reveal:
    """A question just closed: its answer, how the class chose and the top of the table so far."""

    quiz: ClassQuiz
    post: Post
    item: Located[Question]
    choice_counts: tuple[int, ...]
    top: tuple[Standing, ...]

    @property
    def number(self) -> int:
        return self.quiz.index + 1


@dataclass(frozen=True, slots=True)
class HardQuestion:
    number: int
    item_id: str
    prompt: str
    correct: int
    learners: int


@dataclass(frozen=True, slots=True)
class QuizResults:
    """A finished (or stopped) quiz: everyone's score, a CSV of every answer and the hardest questions."""

    quiz: ClassQuiz
    asked: int
    standings: tuple[Standing, ...]
    hardest: tuple[HardQuestion, ...]
    csv_text: str


class ClassQuizService:
    """Runs class quizzes over the ordinary posts and answers."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        posts: PostRepository,
        quizzes: ClassQuizRepository,
        courses: CourseService,
        clock: Clock,
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._courses = courses
        self._posts = posts
        self._quizzes = quizzes
        self._clock = clock

    async def start(
        self,
        guild_id: int,
        channel_id: int,
        tutor_id: int,
        element_id: str | None,
        questions: int,
        seconds: int,
        mode: Mode,
    ) -> ClassQuiz:
        """Create a quiz in its lobby (raises QuizAlreadyLive or NothingToPost)."""
        available = await self._questions(guild_id, element_id)
        if not available:
            raise NothingToPost("there are no questions" + (f" in {element_id}" if element_id else ""))
        quiz = await self._quizzes.create(
            guild_id=guild_id,
            channel_id=channel_id,
            tutor_id=tutor_id,
            element_id=element_id,
            question_count=min(questions, len(available)),
            seconds=seconds,
            mode=mode,
            now=self._clock.now(),
        )
        if quiz is None:
            live = await self._quizzes.live_in_channel(channel_id)
            if live is None:  # pragma: no cover - it finished between the insert and the read
                raise RuntimeError("the channel's live quiz vanished")
            raise QuizAlreadyLive(live)
        log.info("class quiz started quiz=%s guild=%s channel=%s", quiz.quiz_id, guild_id, channel_id)
        return quiz

    async def _questions(self, guild_id: int, element_id: str | None) -> tuple[str, ...]:
        """Return the questions a quiz may ask: the element's, else those of the server's course."""
        course_id = None if element_id is not None else (await self._courses.of_guild(guild_id)).id
        return self._catalog.postable_question_ids(element_id, course_id=course_id)

    async def get(self, quiz_id: int) -> ClassQuiz | None:
        return await self._quizzes.get(quiz_id)

    async def live_in_channel(self, channel_id: int) -> ClassQuiz | None:
        return await self._quizzes.live_in_channel(channel_id)

    async def live(self) -> list[ClassQuiz]:
        return await self._quizzes.live()

    async def recent(self, guild_id: int, limit: int = 25) -> list[ClassQuiz]:
        return await self._quizzes.recent(guild_id, limit)

    async def current_post(self, quiz: ClassQuiz) -> Post | None:
        posts = await self._quizzes.posts(quiz.quiz_id)
        return posts[quiz.index] if 0 <= quiz.index < len(posts) else None

    async def open_next(self, quiz_id: int) -> OpenedQuestion | None:
        """Open the quiz's next question as a class post; None if the quiz is not waiting for one."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None or quiz.state.next_step() is not Step.OPEN:
            return None
        used = {p.item_id for p in await self._quizzes.posts(quiz_id)}
        ids = [i for i in await self._questions(quiz.guild_id, quiz.element_id) if i not in used]
        if not ids:
            return None
        item_id = min(ids, key=lambda i: hashlib.sha256(f"{quiz_id}:{i}".encode()).hexdigest())
        located = self._catalog.question(item_id)
        now = self._clock.now()
        to = quiz.state.open_next()
        correct, count, order = layout(located.item, f"class:{quiz_id}:{item_id}")
        new = NewPost(
            guild_id=quiz.guild_id,
            kind=PostKind.QUESTION,
            origin=Origin.CLASS,
            item_id=item_id,
            element_id=located.element.id,
            correct_option=correct,
            option_count=count,
            option_order=order,
            opens_at=now,
            closes_at=now + timedelta(seconds=quiz.seconds),
            channel_id=quiz.channel_id,
            class_quiz_id=quiz_id,
        )
        try:
            async with self._db.transaction() as tx:
                if not await self._quizzes.move(tx, quiz, to):
                    raise _Moved
                post = await self._posts.create(tx, new)
        except _Moved:
            return None
        if post is None:  # pragma: no cover - only scheduled posts can be refused
            raise RuntimeError("a class post was refused")
        moved = replace(quiz, phase=to.phase, index=to.index)
        log.info("class question opened quiz=%s index=%s post=%s", quiz_id, to.index, post.post_id)
        return OpenedQuestion(moved, post, located)

    async def reveal(self, quiz_id: int, index: int) -> Reveal | None:
        """Close question index and return what to show; None if it is not the open question."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None or quiz.phase is not Phase.QUESTION or quiz.index != index:
            return None
        to = quiz.state.reveal()
        async with self._db.transaction() as tx:
            if not await self._quizzes.move(tx, quiz, to):
                return None
        post = await self.current_post(quiz)
        if post is None:  # pragma: no cover - a question is always created with its move
            return None
        await self._posts.close(post.post_id, self._clock.now())
        answers = await self._quizzes.answers(quiz_id)
        counts = [0] * post.option_count
        for a in answers:
            if a.post_id == post.post_id and 0 <= a.choice < post.option_count:
                counts[a.choice] += 1
        moved = replace(quiz, phase=to.phase, index=to.index)
        return Reveal(moved, post, self._catalog.question(post.item_id), tuple(counts), _standings(answers)[:TOP])

    async def finish(self, quiz_id: int, reason: str) -> QuizResults | None:
        """End the quiz now (closing its open question); None if it had already finished."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None or quiz.phase is Phase.FINISHED:
            return None
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await self._quizzes.move(tx, quiz, quiz.state.finish(), ended_at=now, reason=reason):
                return None
        for post in await self._quizzes.posts(quiz_id):
            if post.state is PostState.OPEN:
                await self._posts.close(post.post_id, now)
        log.info("class quiz finished quiz=%s reason=%s", quiz_id, reason)
        return await self.results(quiz_id)

    async def answered_and_present(self, quiz: ClassQuiz, post_id: int) -> tuple[set[int], set[int]]:
        """Return who answered this question, and who is present (answered any earlier question)."""
        answered, present = set(), set()
        for a in await self._quizzes.answers(quiz.quiz_id):
            (answered if a.post_id == post_id else present).add(a.user_id)
        return answered, present

    async def results(self, quiz_id: int) -> QuizResults | None:
        """Return a quiz's scores, hardest questions and CSV (for a live quiz: so far)."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None:
            return None
        posts = await self._quizzes.posts(quiz_id)
        answers = await self._quizzes.answers(quiz_id)
        standings = _standings(answers)
        by_key = {(a.post_id, a.user_id): a for a in answers}
        learners = sorted(standings, key=lambda s: (s.name.lower(), s.user_id))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        hardest = []
        for number, post in enumerate(posts, start=1):
            right = 0
            question = self._catalog.question(post.item_id).item
            shown = post.shown(question.choices)
            for s in learners:
                a = by_key.get((post.post_id, s.user_id))
                if a is None:
                    writer.writerow((number, post.item_id, spreadsheet_text(s.name), s.user_id, "", "", "no", "", 0))
                    continue
                right += a.correct
                seconds = f"{a.elapsed_ms / 1000:.1f}" if a.elapsed_ms is not None else ""
                writer.writerow(
                    (
                        number,
                        post.item_id,
                        spreadsheet_text(s.name),
                        s.user_id,
                        LETTERS[a.choice],
                        spreadsheet_text(shown[a.choice]) if a.choice < len(shown) else "",
                        "yes" if a.correct else "no",
                        seconds,
                        a.points,
                    )
                )
            hardest.append(HardQuestion(number, post.item_id, question.prompt, right, len(learners)))
        hardest.sort(key=lambda h: (h.correct / h.learners if h.learners else 1.0, h.number))
        return QuizResults(quiz, len(posts), tuple(standings), tuple(hardest[:HARDEST]), out.getvalue())


def _standings(answers: list[QuizAnswer]) -> tuple[Standing, ...]:
    """Total each learner's points, best first; equal points share a rank (listed by right answers, then name)."""
    totals: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for a in answers:
        total = totals.setdefault(a.user_id, [0, 0])
        total[0] += a.points
        total[1] += a.correct
        names[a.user_id] = a.display_name
    order = sorted(totals.items(), key=lambda t: (-t[1][0], -t[1][1], names[t[0]].lower(), t[0]))
    ranks = competition_ranks([p for _, (p, _) in order])
    return tuple(Standing(uid, names[uid], p, c, rank) for rank, (uid, (p, c)) in zip(ranks, order, strict=True))
