"""Choosing what a server is shown next."""

from __future__ import annotations

from bot.course.catalog import Catalog
from bot.domain.entities import PostKind
from bot.domain.selection import Candidate, choose_item
from bot.storage.posts import PostRepository


class SelectionService:
    """Picks the next question or challenge for a server from its history."""

    def __init__(self, catalog: Catalog, posts: PostRepository, include_unreviewed: bool = False) -> None:
        self._catalog = catalog
        self._posts = posts
        self._include_unreviewed = include_unreviewed  # generated items a tutor has not reviewed yet

    async def next_item(
        self,
        guild_id: int,
        kind: PostKind,
        seed: int | str,
        element_id: str | None = None,
        course_id: str | None = None,
        own_course_id: str | None = None,
    ) -> str | None:
        """Return the id of the next item of an element, else of a course and the server's own (None if none).

        The same seed and history give the same item.
        """
        postable = (
            self._catalog.postable_question_ids if kind is PostKind.QUESTION else self._catalog.postable_challenge_ids
        )
        ids = postable(element_id, self._include_unreviewed, course_id)
        if element_id is None and own_course_id is not None:
            ids += postable(None, self._include_unreviewed, own_course_id)
        if not ids:
            return None
        history = await self._posts.item_history(guild_id, kind)
        element_of = self._catalog.question if kind is PostKind.QUESTION else self._catalog.challenge
        candidates = []
        for item_id in ids:
            posted, attempts, wrong = history.get(item_id, (0, 0, 0))
            candidates.append(Candidate(item_id, element_of(item_id).element.id, posted, attempts, wrong))
        chosen = choose_item(candidates, seed)
        return chosen.item_id if chosen else None
