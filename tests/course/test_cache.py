"""The compiled-content cache is used when files are unchanged and never hides a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.course.loader import ContentInvalid, load_catalog
from tests.course.conftest import ALPHA


def test_warm_load_gives_the_same_content(course_dir: Path, tmp_path: Path) -> None:
    """A second load from the cache yields identical content and version."""
    cache = tmp_path / "cache"
    cold = load_catalog(course_dir, cache)
    assert len(list(cache.glob("content-*.bin"))) == 1
    warm = load_catalog(course_dir, cache)
    assert warm.version == cold.version
    assert list(warm.elements()) == list(cold.elements())
    assert warm.courses == cold.courses
    assert list(warm.questions()) == list(cold.questions())
    assert list(warm.challenges()) == list(cold.challenges())


def test_changed_file_is_reloaded_and_old_cache_removed(course_dir: Path, tmp_path: Path) -> None:
    """Editing a file changes what is loaded, and leaves one cache file."""
    cache = tmp_path / "cache"
    load_catalog(course_dir, cache)
    (course_dir / "alpha.yaml").write_text(ALPHA.replace("Which concept comes first?", "Which comes first?"))
    catalog = load_catalog(course_dir, cache)
    assert catalog.question("alpha.q.first").item.prompt == "Which comes first?"
    assert len(list(cache.glob("content-*.bin"))) == 1


def test_invalid_change_is_reported_even_with_a_cache(course_dir: Path, tmp_path: Path) -> None:
    """A cached good version never masks a broken edit."""
    cache = tmp_path / "cache"
    load_catalog(course_dir, cache)
    (course_dir / "alpha.yaml").write_text(ALPHA.replace("difficulty: 1", "difficulty: 7"))
    with pytest.raises(ContentInvalid):
        load_catalog(course_dir, cache)


def test_corrupt_cache_is_rebuilt(course_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A damaged cache file is logged and replaced, and loading still succeeds."""
    cache = tmp_path / "cache"
    load_catalog(course_dir, cache)
    [cached] = cache.glob("content-*.bin")
    cached.write_bytes(cached.read_bytes()[:-5])  # a truncated file
    catalog = load_catalog(course_dir, cache)
    assert catalog.question_count == 4
    assert "content cache unusable" in caplog.text
    assert load_catalog(course_dir, cache).question("alpha.q.first").item.prompt == "Which concept comes first?"
