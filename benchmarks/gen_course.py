"""Write a synthetic course of N questions for load benchmarks (python -m benchmarks.gen_course OUT N)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ELEMENTS = 10


def write_course(out: Path, questions: int, elements: int = ELEMENTS) -> Path:
    """Write a valid course with about `questions` questions spread over `elements` elements."""
    course_dir = out / "synthetic"
    course_dir.mkdir(parents=True, exist_ok=True)
    ids = [f"el{e:02d}" for e in range(elements)]
    (course_dir / "course.yaml").write_text(
        yaml.safe_dump({"id": "synthetic", "title": "Synthetic course", "elements": ids}), encoding="utf-8"
    )
    per_element = questions // elements
    for eid in ids:
        element = {
            "id": eid,
            "title": f"Element {eid}",
            "synopsis": "A synthetic element used to measure how fast content loads. " * 5,
            "concepts": [
                {"id": f"{eid}.concept.c{i}", "name": f"Concept {i}", "explanation": "Explains the concept. " * 8}
                for i in range(5)
            ],
            "tips": [{"id": f"{eid}.tip.t{i}", "text": "A tip for the exam. " * 6} for i in range(4)],
            "misconceptions": [
                {"id": f"{eid}.mis.m{i}", "belief": "A wrong belief. " * 5, "correction": "What is right. " * 8}
                for i in range(4)
            ],
            "marking_points": [{"id": f"{eid}.mark.k{i}", "text": "Award credit for it. " * 6} for i in range(4)],
            "questions": [
                {
                    "id": f"{eid}.q.n{n}",
                    "prompt": f"Question {n}: which option describes concept {n % 5} best? " * 2,
                    "options": [f"Option {k} for question {n}" for k in range(4)],
                    "answer": n % 4,
                    "explanation": "Why the right answer is right and the tempting one wrong. " * 4,
                    "concepts": [f"{eid}.concept.c{n % 5}"],
                    "marking_points": [f"{eid}.mark.k{n % 4}"],
                    "difficulty": 1 + n % 3,
                }
                for n in range(per_element)
            ],
            "challenges": [
                {
                    "id": f"{eid}.spot.s{i}",
                    "kind": "statements",
                    "options": [f"Statement {k} of challenge {i}." for k in range(4)],
                    "mistake": i % 4,
                    "misconception": f"{eid}.mis.m{i}",
                    "explanation": "Why it is a mistake. " * 5,
                    "helps": [f"{eid}.tip.t{i}"],
                }
                for i in range(4)
            ],
        }
        (course_dir / f"{eid}.yaml").write_text(yaml.safe_dump(element, sort_keys=False), encoding="utf-8")
    return course_dir


if __name__ == "__main__":
    write_course(Path(sys.argv[1]), int(sys.argv[2]))
