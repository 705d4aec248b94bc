"""The compiled-content cache is used when files are unchanged and never hides a change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.course.loader import ContentInvalid, code_that_loads, load_catalog
from tests.course.conftest import ALPHA

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_stricter_loader_rule_applies_to_cached_content(course_dir: Path, tmp_path: Path) -> None:
    """After an upgrade that tightens a check in the loader, content cached by the old code is checked again."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "bot", code / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    load = (
        "import sys; from pathlib import Path; from bot.course.loader import ContentInvalid, load_catalog\n"
        f"try: load_catalog(Path({str(course_dir)!r}), Path({str(cache)!r}))\n"
        "except ContentInvalid as exc: sys.exit(str(exc.errors[0]))\n"
    )

    def run() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(code)}
        return subprocess.run(
            [sys.executable, "-c", load], cwd=code, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    assert run().returncode == 0
    loader = code / "bot" / "course" / "loader.py"
    rule = 'MENTION_RE = re.compile(r"@(?:everyone|here)\\b|<@[!&]?\\d+>|<#\\d+>")'
    assert rule in loader.read_text(encoding="utf-8")
    loader.write_text(  # the new release refuses a word the cached content uses
        loader.read_text(encoding="utf-8").replace(rule, rule[:-2] + '|concept")'), encoding="utf-8"
    )
    stricter = run()
    assert stricter.returncode == 1 and "mention" in stricter.stderr, stricter.stderr


def test_every_module_the_loader_runs_is_in_the_cache_key(course_dir: Path) -> None:
    """The bot modules imported while content loads are exactly among the files the cache key hashes."""
    listing = (
        "import sys; from pathlib import Path; from bot.course.loader import load_catalog\n"
        f"load_catalog(Path({str(course_dir)!r}))\n"
        "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('bot.') and m.__file__))\n"
    )
    result = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, timeout=60, check=True)
    loaded = {Path(line) for line in result.stdout.splitlines() if not line.endswith("__init__.py")}
    assert loaded and loaded <= set(code_that_loads())
