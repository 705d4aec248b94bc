"""Text for CSV files that tutors open in a spreadsheet."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Return text so that a spreadsheet shows it as written: a leading ' stops it being read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
