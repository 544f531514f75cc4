"""Placements: a pupil placed with a provider (clause 12.3), the written agreement behind it,
the individual learning plan's targets and outcomes (clause 12.4), its planned reviews and
the reviews held."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.contracts.models import Contract
from qa_portal.db import TimestampMixin, db, enum_column
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil

if TYPE_CHECKING:
    from qa_portal.accounts.models import User

MAX_HOURS = Decimal("99.9")  # what Numeric(3, 1) holds
MAX_COST = Decimal("99999999.99")  # what Numeric(10, 2) holds


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:
        raise NotImplementedError


class Transport(_Labelled):
    OWN_WAY = "own_way"
    PROVIDER = "provider"
    TAXI = "taxi"
    PUBLIC = "public"
    FAMILY = "family"

    @classmethod
    def _labels(cls):
        return {
            "own_way": "Makes their own way",
            "provider": "The provider's transport",
            "taxi": "Taxi arranged by the school or partnership",
            "public": "Public transport (pass provided)",
            "family": "Brought by their family",
        }


class Destination(_Labelled):
    RETURNED = "returned"
    ANOTHER_PLACEMENT = "another_placement"
    FURTHER_EDUCATION = "further_education"
    MOVED_AWAY = "moved_away"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "returned": "Returned to school",
            "another_placement": "Another placement",
            "further_education": "Further education or training",
            "moved_away": "Moved away",
            "other": "Other",
        }


class TargetArea(_Labelled):
    ATTENDANCE = "attendance"
    PERSONAL = "personal"
    ENGLISH = "english"
    MATHS = "maths"
    ACCREDITATION = "accreditation"

    @classmethod
    def _labels(cls):
        return {
            "attendance": "Attendance",
            "personal": "Personal development and behaviour",
            "english": "English",
            "maths": "Maths",
            "accreditation": "Other accreditation",
        }


class Progress(_Labelled):
    ON_TRACK = "on_track"
    SOME = "some"
    NONE = "none"

    @classmethod
    def _labels(cls):
        return {"on_track": "On track", "some": "Some progress", "none": "No progress"}

    @property
    def tag(self) -> str:
        return {"on_track": "green", "some": "yellow", "none": "red"}[self.value]


class PlacementState(_Labelled):
    """Where a placement stands on a given day."""

    STARTING = "starting"
    CURRENT = "current"
    ENDED = "ended"

    @classmethod
    def _labels(cls):
        return {"starting": "Not yet started", "current": "Current", "ended": "Ended"}

    @property
    def tag(self) -> str:
        return {"starting": "blue", "current": "green", "ended": "grey"}[self.value]


class Placement(TimestampMixin, db.Model):
    """A pupil placed with a provider. The pupil stays on their school's roll; the placement
    records the dates, the time and cost, and the agreement the commissioner and the provider
    made (DfE, Arranging alternative provision, 2025)."""

    __tablename__ = "placements"
    __table_args__ = (
        CheckConstraint(
            "planned_end_date IS NULL OR planned_end_date >= start_date", name="planned_end_after"
        ),
        CheckConstraint("finish_date IS NULL OR finish_date >= start_date", name="finish_after"),
        CheckConstraint("days_per_week BETWEEN 1 AND 5", name="days_per_week"),
        CheckConstraint("sessions_per_week BETWEEN 1 AND 10", name="sessions_per_week"),
        CheckConstraint("hours_per_week > 0", name="hours_positive"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
        CheckConstraint(
            "NOT off_site_direction OR off_site_max_weeks IS NOT NULL", name="off_site_length"
        ),
        CheckConstraint(
            "finish_date IS NULL OR destination IS NOT NULL", name="ended_with_destination"
        ),
        Index("ix_placements_pupil_provider", "pupil_id", "provider_id"),
        Index("ix_placements_provider_dates", "provider_id", "start_date"),
        Index("ix_placements_next_review", "next_review_on"),
        Index("ix_placements_contract_id", "contract_id"),
        Index("ix_placements_start_date", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    start_date: Mapped[date]
    planned_end_date: Mapped[date | None]
    finish_date: Mapped[date | None]
    days_per_week: Mapped[int]
    sessions_per_week: Mapped[int]
    hours_per_week: Mapped[Decimal] = mapped_column(Numeric(3, 1))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    transport: Mapped[Transport] = mapped_column(enum_column(Transport, "transport"))
    # The written agreement.
    intervention: Mapped[str] = mapped_column(Text)
    objectives: Mapped[str] = mapped_column(Text)
    reintegration_plan: Mapped[str] = mapped_column(Text)
    off_site_direction: Mapped[bool] = mapped_column(default=False)
    off_site_max_weeks: Mapped[int | None]
    shared_needs: Mapped[bool] = mapped_column(default=False)
    shared_needs_note: Mapped[str] = mapped_column(Text, default="")
    shared_ehcp: Mapped[bool] = mapped_column(default=False)
    shared_ehcp_note: Mapped[str] = mapped_column(Text, default="")
    shared_health: Mapped[bool] = mapped_column(default=False)
    shared_health_note: Mapped[str] = mapped_column(Text, default="")
    reporting: Mapped[str] = mapped_column(Text)
    # Why the placement went ahead with a provider that was suspended, closed or
    # non-compliant when it was made.
    provider_reason: Mapped[str] = mapped_column(Text, default="")
    # The earliest planned review not yet held (kept by the services, so lists filter on it).
    next_review_on: Mapped[date | None]
    # The ending.
    destination: Mapped[Destination | None] = mapped_column(enum_column(Destination, "destination"))
    destination_note: Mapped[str] = mapped_column(Text, default="")
    end_reason: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    pupil: Mapped[Pupil] = relationship()
    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    targets: Mapped[list[Target]] = relationship(
        back_populates="placement", order_by="Target.position", cascade="all, delete-orphan"
    )
    review_dates: Mapped[list[ReviewDate]] = relationship(
        back_populates="placement", order_by="ReviewDate.due_on", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="placement",
        order_by="(Review.held_on, Review.id)",
        cascade="all, delete-orphan",
    )

    @property
    def last_day(self) -> date | None:
        """The last day the placement runs: its finish, else its planned end (None: open)."""
        return self.finish_date or self.planned_end_date

    def review_dates_text(self, fmt: str = "%-d %b %Y", sep: str = ", ") -> str:
        """The planned review dates, in words."""
        return sep.join(f"{d.due_on:{fmt}}" for d in self.review_dates)

    def state(self, today: date) -> PlacementState:
        if self.finish_date is not None:
            return PlacementState.ENDED
        if self.start_date > today:
            return PlacementState.STARTING
        return PlacementState.CURRENT

    def __str__(self) -> str:
        return f"{self.pupil.name} at {self.provider.name}"


class ReviewDate(db.Model):
    """A review planned in the agreement: at least half-termly."""

    __tablename__ = "placement_review_dates"
    __table_args__ = (UniqueConstraint("placement_id", "due_on", name="uq_placement_review_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    due_on: Mapped[date]

    placement: Mapped[Placement] = relationship(back_populates="review_dates")


class Target(db.Model):
    """A target of the individual learning plan, with its baseline and, at the end, its
    outcome."""

    __tablename__ = "placement_targets"
    __table_args__ = (Index("ix_placement_targets_placement", "placement_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    position: Mapped[int]
    area: Mapped[TargetArea] = mapped_column(enum_column(TargetArea, "target_area"))
    description: Mapped[str] = mapped_column(Text)
    baseline: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(Text)

    placement: Mapped[Placement] = relationship(back_populates="targets")


class Review(TimestampMixin, db.Model):
    """A review held: who came, progress against each target, what was decided, the next."""

    __tablename__ = "placement_reviews"
    __table_args__ = (Index("ix_placement_reviews_placement", "placement_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    attended: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text, default="")
    next_review_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    placement: Mapped[Placement] = relationship(back_populates="reviews")
    recorded_by: Mapped[User | None] = relationship()
    progress: Mapped[list[TargetProgress]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )


class TargetProgress(db.Model):
    __tablename__ = "placement_target_progress"
    __table_args__ = (UniqueConstraint("review_id", "target_id", name="uq_target_progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("placement_reviews.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("placement_targets.id", ondelete="CASCADE"))
    progress: Mapped[Progress] = mapped_column(enum_column(Progress, "progress"))
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="progress")
    target: Mapped[Target] = relationship()
