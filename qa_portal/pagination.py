"""Page through a query with ?page=N, counting once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, request
from sqlalchemy import Select, func, select

from qa_portal import inputs
from qa_portal.db import db
from qa_portal.rules import RuleBroken


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(stmt: Select, per_page: int = 50) -> Page:
    try:
        number = inputs.page_number(request.args.get("page"))
    except RuleBroken:
        abort(404)  # not a page of any list
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=list(items), number=number, per_page=per_page, total=total or 0)


def count(stmt: Select) -> int:
    """How many rows `stmt` selects, counted in SQL."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def paginate_rows(stmt: Select, per_page: int = 50) -> Page:
    """As `paginate`, for a statement of several columns: the page's items are its rows."""
    try:
        number = inputs.page_number(request.args.get("page"))
    except RuleBroken:
        abort(404)  # not a page of any list
    rows = db.session.execute(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=list(rows), number=number, per_page=per_page, total=count(stmt))


@dataclass
class OpenPage:
    """A page of a list too long to count on every view: it knows only whether a next page
    exists (one row more is read to tell)."""

    items: list[Any]
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate_open(stmt: Select, per_page: int = 50) -> OpenPage:
    try:
        number = inputs.page_number(request.args.get("page"))
    except RuleBroken:
        abort(404)  # not a page of any list
    rows = db.session.scalars(stmt.limit(per_page + 1).offset((number - 1) * per_page)).all()
    return OpenPage(
        items=list(rows[:per_page]), number=number, per_page=per_page, has_next=len(rows) > per_page
    )
