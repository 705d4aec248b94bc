"""Wire storage and services together once; the bot and the tests use the same wiring."""

from __future__ import annotations

from dataclasses import dataclass

from bot.course.catalog import Catalog
from bot.domain.clock import Clock
from bot.services.answers import AnswerService
from bot.services.classquiz import ClassQuizService
from bot.services.courses import CourseService
from bot.services.leaderboards import LeaderboardService
from bot.services.learner_data import LearnerDataService
from bot.services.posting import PostingService
from bot.services.practice import PracticeService
from bot.services.reports import ReportService
from bot.services.schedules import ScheduleService
from bot.services.selection import SelectionService
from bot.services.server_content import Converter, ServerContentService
from bot.services.stats import LearnerStatsService
from bot.services.summary import WeeklySummaryService
from bot.storage.answers import AnswerRepository
from bot.storage.boards import BoardRepository
from bot.storage.classquiz import ClassQuizRepository
from bot.storage.db import Database
from bot.storage.guilds import GuildRepository
from bot.storage.learners import LearnerRepository
from bot.storage.posts import PostRepository
from bot.storage.practice import PracticeRepository
from bot.storage.reports import ReportRepository
from bot.storage.server_content import ServerContentRepository
from bot.storage.shard_reports import ShardReportRepository
from bot.storage.summaries import SummaryRepository
from bot.uploads import convert


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the Discord layer calls."""

    db: Database
    catalog: Catalog
    clock: Clock
    guilds: GuildRepository
    courses: CourseService
    posts: PostRepository
    answers: AnswerService
    leaderboards: LeaderboardService
    posting: PostingService
    selection: SelectionService
    practice: PracticeService
    summaries: SummaryRepository
    weekly: WeeklySummaryService
    reports: ReportService
    learner_data: LearnerDataService
    learner_stats: LearnerStatsService
    class_quizzes: ClassQuizService
    schedules: ScheduleService
    server_content: ServerContentService
    shard_reports: ShardReportRepository


def build_services(
    db: Database,
    catalog: Catalog,
    clock: Clock,
    *,
    include_unreviewed: bool = False,
    default_course: str | None = None,
    converter: Converter = convert,
) -> Services:
    """Return the services over one database and catalog (unreviewed generated items are not posted by default).

    Servers that chose no course revise default_course, else the catalog's first (UnknownCourse if it has none such).
    """
    guilds, posts, answers = GuildRepository(db), PostRepository(db), AnswerRepository(db)
    courses = CourseService(catalog, guilds, clock, default_course)
    boards, summaries = BoardRepository(db), SummaryRepository(db)
    selection = SelectionService(catalog, posts, include_unreviewed)
    leaderboards = LeaderboardService(db, clock)
    practice = PracticeService(db, PracticeRepository(db), catalog, clock)
    return Services(
        db=db,
        catalog=catalog,
        clock=clock,
        guilds=guilds,
        courses=courses,
        posts=posts,
        answers=AnswerService(db, clock, practice),
        leaderboards=leaderboards,
        posting=PostingService(db, catalog, posts, answers, guilds, selection, courses, clock),
        selection=selection,
        practice=practice,
        summaries=summaries,
        weekly=WeeklySummaryService(boards, summaries, guilds, catalog, clock),
        reports=ReportService(ReportRepository(db), catalog),
        learner_data=LearnerDataService(LearnerRepository(db), clock),
        learner_stats=LearnerStatsService(LearnerRepository(db), catalog, leaderboards),
        class_quizzes=ClassQuizService(db, catalog, posts, ClassQuizRepository(db), courses, clock),
        schedules=ScheduleService(guilds, clock),
        server_content=ServerContentService(ServerContentRepository(db), clock, converter),
        shard_reports=ShardReportRepository(db),
    )
