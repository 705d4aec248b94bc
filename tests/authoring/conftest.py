"""The authoring tools are tried on the same small course the loader's tests use."""

from tests.course.conftest import course_dir

__all__ = ["course_dir"]
