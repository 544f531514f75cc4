"""Guards every form and JSON endpoint shares: text a database can hold, bounded numbers, pages."""

from __future__ import annotations

import math
import re
import unicodedata

from qa_portal.rules import RuleBroken

# Longest free text anywhere (notes, strengths, reasons); single-line fields are shorter.
LONG_TEXT = 5000
SHORT_TEXT = 300
# No list has more pages than this; a larger page number is refused, not computed.
MAX_PAGE = 100_000
# The largest id any table will reach; a bigger number is not an id (and overflows BIGINT).
MAX_ID = 2**31 - 1

# C0 controls other than tab, newline and carriage return: a NUL is refused by PostgreSQL and
# silently kept by SQLite, the others are never typed by a person.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, or None: no control characters, no half an emoji."""
    if _CONTROL.search(value):
        return "Remove the control characters (such as a null byte) from this text"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "This text holds a broken character (half an emoji); type it again"
    return None


def clean_text(
    value: object, *, field: str, label: str = "This text", max_length: int = LONG_TEXT
) -> str:
    """The text stripped of surrounding spaces, or RuleBroken naming `field`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RuleBroken(f"{label} must be text", field)
    problem = text_problem(value)
    if problem:
        raise RuleBroken(problem, field)
    value = value.strip()
    if len(value) > max_length:
        raise RuleBroken(f"{label} must be {max_length:,} characters or fewer", field)
    return value


def bounded_int(
    value: object, *, field: str, label: str = "This number", low: int = 1, high: int = MAX_ID
) -> int:
    """A whole number between low and high, from JSON or a form; RuleBroken otherwise."""
    if isinstance(value, bool):
        raise RuleBroken(f"{label} must be a whole number", field)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise RuleBroken(f"{label} must be a whole number", field)
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12:
            raise RuleBroken(f"{label} must be a whole number", field)
        value = int(text)
    elif not isinstance(value, int):
        raise RuleBroken(f"{label} must be a whole number", field)
    if not low <= value <= high:
        raise RuleBroken(f"{label} must be between {low:,} and {high:,}", field)
    return value


def page_number(raw: str | None) -> int:
    """The page asked for in `?page=`: 1 when absent; RuleBroken when not a page at all."""
    if raw is None or raw == "":
        return 1
    return bounded_int(raw, field="page", label="The page number", low=1, high=MAX_PAGE)


def query_id(raw: str | None) -> int | None:
    """An id from a query string (`?kind=3`), or None when it is absent or not an id at all:
    such a value only preselects a choice, so a bad one is ignored."""
    try:
        return bounded_int(raw, field="id") if raw else None
    except RuleBroken:
        return None


def name_key(name: str) -> str:
    """A name as compared for uniqueness: Unicode-normalised, case-folded (É and é alike, which
    SQLite's lower() and NOCASE do not do), inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
