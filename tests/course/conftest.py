"""A small valid course written to tmp_path, for tests to break one piece at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

COURSE = """\
id: demo
title: Demo course
elements:
  - alpha
  - beta
"""

ALPHA = """\
# yaml-language-server: $schema=../schema/element.schema.json
id: alpha
title: Alpha element
synopsis: What alpha is about.
concepts:
  - id: alpha.concept.one
    name: Concept one
    explanation: The first concept.
  - id: alpha.concept.two
    name: Concept two
    explanation: The second concept.
tips:
  - id: alpha.tip.one
    text: Use real examples.
misconceptions:
  - id: alpha.mis.one
    belief: Service is only about being polite.
    correction: Service is also about solving problems efficiently.
marking_points:
  - id: alpha.mark.one
    text: Award credit for real examples.
questions:
  - id: alpha.q.first
    prompt: Which concept comes first?
    options:
      - Concept one
      - Concept two
      - Neither
    answer: 0
    explanation: Concept one comes first because it is numbered one.
    concepts: [alpha.concept.one]
    difficulty: 1
  - id: alpha.q.truth
    kind: true_false
    prompt: "True or false: concept two comes second."
    answer: true
    explanation: It is numbered two.
    concepts: [alpha.concept.two]
    marking_points: [alpha.mark.one]
    tips: [alpha.tip.one]
    difficulty: 2
challenges:
  - id: alpha.spot.reply
    kind: scenario
    scenario: A customer complains. Which line of the reply holds the mistake?
    options:
      - I am sorry this happened.
      - Being polite is all good service needs.
      - I will fix this today.
    mistake: 1
    misconception: alpha.mis.one
    explanation: Politeness alone is not enough; service also means solving the problem.
    helps: [alpha.tip.one]
"""

BETA = ALPHA.replace("alpha", "beta").replace("Alpha", "Beta")


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """Write a valid two-element course and return its folder."""
    folder = tmp_path / "content" / "demo"
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text(COURSE, encoding="utf-8")
    (folder / "alpha.yaml").write_text(ALPHA, encoding="utf-8")
    (folder / "beta.yaml").write_text(BETA, encoding="utf-8")
    return folder
