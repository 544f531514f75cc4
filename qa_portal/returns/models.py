"""Termly returns (Schedule 2): a provider's feedback on each pupil placed with it, once a term -
attendance, behaviour, progress against each learning-plan target, accreditation, wellbeing and
the pupil's voice - its review by the partnership, every version kept, and the reminders sent."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.db import TimestampMixin, db, enum_column, utcnow
from qa_portal.placements.models import Placement, Progress, Target
from qa_portal.terms import Season

if TYPE_CHECKING:
    from qa_portal.accounts.models import User

MAX_SESSIONS = 1000  # far more sessions than a term has; keeps a typo from being stored
TEXT_LENGTH = 4000


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:
        raise NotImplementedError


class ReturnStatus(_Labelled):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"

    @classmethod
    def _labels(cls):
        return {
            "draft": "Draft",
            "submitted": "Submitted",
            "changes_requested": "Changes requested",
            "accepted": "Accepted",
        }

    @property
    def tag(self) -> str:
        return {
            "draft": "grey",
            "submitted": "blue",
            "changes_requested": "orange",
            "accepted": "green",
        }[self.value]

    @property
    def done(self) -> bool:
        """Sent in by the provider: nothing more is due from it (unless changes are asked)."""
        return self in (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED)


DONE = (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED)


class Behaviour(_Labelled):
    EXCELLENT = "excellent"
    GOOD = "good"
    SOME_CONCERNS = "some_concerns"
    SERIOUS_CONCERNS = "serious_concerns"

    @classmethod
    def _labels(cls):
        return {
            "excellent": "Excellent",
            "good": "Good",
            "some_concerns": "Some concerns",
            "serious_concerns": "Serious concerns",
        }


class AccreditationStatus(_Labelled):
    NOT_STARTED = "not_started"
    WORKING_TOWARDS = "working_towards"
    ACHIEVED = "achieved"

    @classmethod
    def _labels(cls):
        return {
            "not_started": "Not started",
            "working_towards": "Working towards",
            "achieved": "Achieved",
        }


def term_key(year: int, season: Season | str) -> str:
    """A term as it appears in addresses and spreadsheets: "2026-autumn"."""
    return f"{year}-{Season(season).value}"


class TermlyReturn(TimestampMixin, db.Model):
    """One placement's return for one term. Attendance is counted in sessions (half days)."""

    __tablename__ = "termly_returns"
    __table_args__ = (
        UniqueConstraint("placement_id", "term_year", "term_season", name="uq_termly_returns_term"),
        CheckConstraint(
            "sessions_possible IS NULL OR sessions_possible BETWEEN 0 AND 1000",
            name="sessions_possible_range",
        ),
        CheckConstraint(
            "sessions_attended IS NULL OR sessions_attended >= 0", name="attended_not_negative"
        ),
        CheckConstraint(
            "sessions_authorised IS NULL OR sessions_authorised >= 0",
            name="authorised_not_negative",
        ),
        CheckConstraint(
            "sessions_unauthorised IS NULL OR sessions_unauthorised >= 0",
            name="unauthorised_not_negative",
        ),
        CheckConstraint(
            "sessions_possible IS NULL OR COALESCE(sessions_attended, 0) "
            "+ COALESCE(sessions_authorised, 0) + COALESCE(sessions_unauthorised, 0) "
            "<= sessions_possible",
            name="sessions_within_possible",
        ),
        CheckConstraint(
            "status = 'draft' OR submitted_at IS NOT NULL", name="sent_has_submitted_at"
        ),
        Index("ix_termly_returns_term_status", "term_year", "term_season", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    term_year: Mapped[int]
    term_season: Mapped[Season] = mapped_column(enum_column(Season, "term_season"))
    status: Mapped[ReturnStatus] = mapped_column(
        enum_column(ReturnStatus, "return_status"), default=ReturnStatus.DRAFT
    )
    sessions_possible: Mapped[int | None]
    sessions_attended: Mapped[int | None]
    sessions_authorised: Mapped[int | None]
    sessions_unauthorised: Mapped[int | None]
    behaviour: Mapped[Behaviour | None] = mapped_column(enum_column(Behaviour, "behaviour"))
    behaviour_comment: Mapped[str] = mapped_column(Text, default="")
    qualification: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(50), default="")
    accreditation_status: Mapped[AccreditationStatus | None] = mapped_column(
        enum_column(AccreditationStatus, "accreditation_status")
    )
    wellbeing: Mapped[str] = mapped_column(Text, default="")
    pupil_voice: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    # The key worker's request for changes, shown to the provider until it sends the return again.
    review_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    placement: Mapped[Placement] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    progress: Mapped[list[ReturnProgress]] = relationship(
        back_populates="termly_return", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ReturnVersion]] = relationship(
        back_populates="termly_return",
        order_by="ReturnVersion.number.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def term_key(self) -> str:
        return term_key(self.term_year, self.term_season)

    @property
    def attendance_percent(self) -> Decimal | None:
        """Sessions attended of those possible, to one decimal place."""
        if not self.sessions_possible or self.sessions_attended is None:
            return None
        ratio = Decimal(100 * self.sessions_attended) / Decimal(self.sessions_possible)
        return ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def progress_for(self, target: Target) -> ReturnProgress | None:
        return next((p for p in self.progress if p.target_id == target.id), None)


class ReturnProgress(db.Model):
    """Progress this term against one target of the pupil's learning plan."""

    __tablename__ = "termly_return_progress"
    __table_args__ = (UniqueConstraint("return_id", "target_id", name="uq_return_progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("termly_returns.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(
        ForeignKey("placement_targets.id", ondelete="CASCADE"), index=True
    )
    progress: Mapped[Progress | None] = mapped_column(enum_column(Progress, "progress"))
    comment: Mapped[str] = mapped_column(Text, default="")

    termly_return: Mapped[TermlyReturn] = relationship(back_populates="progress")
    target: Mapped[Target] = relationship()


class ReturnVersion(db.Model):
    """One change to a return: who, when, what they did and each field's old and new value."""

    __tablename__ = "termly_return_versions"
    __table_args__ = (UniqueConstraint("return_id", "number", name="uq_return_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("termly_returns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text so the history still reads after an account is renamed.
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    # What happened: "saved", "submitted", "uploaded", "changes_requested", "accepted".
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[ReturnStatus] = mapped_column(enum_column(ReturnStatus, "return_status"))
    # {field: [old, new]}, values as the person would read them.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    termly_return: Mapped[TermlyReturn] = relationship(back_populates="versions")

    ACTIONS = {
        "saved": "Saved as draft",
        "submitted": "Submitted",
        "uploaded": "Submitted by spreadsheet",
        "changes_requested": "Changes requested",
        "accepted": "Accepted",
    }

    @property
    def action_label(self) -> str:
        return self.ACTIONS.get(self.action, self.action)


class ReturnReminder(db.Model):
    """A reminder of missing returns sent to a provider for a term: one each, ever."""

    __tablename__ = "return_reminders"
    __table_args__ = (
        UniqueConstraint("provider_id", "term_year", "term_season", name="uq_return_reminder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    term_year: Mapped[int]
    term_season: Mapped[Season] = mapped_column(enum_column(Season, "term_season"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    missing: Mapped[int]
