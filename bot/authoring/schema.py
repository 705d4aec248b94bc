"""JSON schemas generated from the content models, for editors that check YAML as people type."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from bot.course.models import CourseFile, Element

SCHEMAS: dict[str, type[BaseModel]] = {
    "course.schema.json": CourseFile,
    "element.schema.json": Element,
}


def render_schemas() -> dict[str, str]:
    """Return each schema file's name and JSON text."""
    rendered = {}
    for name, model in SCHEMAS.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema()}
        rendered[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return rendered


def stale_schemas(schema_dir: Path) -> list[str]:
    """Return the names of schema files that are missing or differ from the models."""
    return [
        name
        for name, text in render_schemas().items()
        if not (schema_dir / name).is_file() or (schema_dir / name).read_text(encoding="utf-8") != text
    ]


def write_schemas(schema_dir: Path) -> list[Path]:
    """Write every schema file into schema_dir and return their paths."""
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = schema_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
