"""A concern about a provider (clause 12.10 of the partnership agreement) and its resolution."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.db import TimestampMixin, db, enum_column, utcnow
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider
from qa_portal.visits.models import Visit

if TYPE_CHECKING:
    from qa_portal.accounts.models import User


class ConcernCategory(enum.StrEnum):
    SAFEGUARDING = "safeguarding"
    ATTENDANCE = "attendance"
    QUALITY_OF_EDUCATION = "quality_of_education"
    BEHAVIOUR = "behaviour"
    PREMISES = "premises"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "safeguarding": "Safeguarding",
            "attendance": "Attendance",
            "quality_of_education": "Quality of education",
            "behaviour": "Behaviour",
            "premises": "Premises, health and safety",
            "other": "Other",
        }[self.value]


class Concern(TimestampMixin, db.Model):
    """Raised by a head or partnership staff; the raiser's partnership resolves it with the
    school. Open while it has no resolution."""

    __tablename__ = "concerns"
    __table_args__ = (
        # Resolved means all of resolution, date, who and when; open means none of them.
        CheckConstraint(
            "(resolved_at IS NULL AND resolved_on IS NULL AND resolved_by_id IS NULL"
            " AND resolution = '')"
            " OR (resolved_at IS NOT NULL AND resolved_on IS NOT NULL"
            " AND resolved_by_id IS NOT NULL AND resolution <> '')",
            name="resolved_in_full",
        ),
        CheckConstraint(
            "resolved_on IS NULL OR resolved_on >= happened_on", name="resolved_after_it_happened"
        ),
        # The list: a partnership's concerns, open first, latest first.
        Index("ix_concerns_partnership_resolved_at", "partnership_id", "resolved_at"),
        Index("ix_concerns_provider_resolved_at", "provider_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    # The raiser's partnership (a head's is their school's): its staff see and resolve it.
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    category: Mapped[ConcernCategory] = mapped_column(
        enum_column(ConcernCategory, "concern_category")
    )
    description: Mapped[str] = mapped_column(Text)
    happened_on: Mapped[date]
    # Initials only until concerns link to pupil records.
    pupils_involved: Mapped[str] = mapped_column(String(200), default="")
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_on: Mapped[date | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    # The follow-up or unannounced visit planned about it.
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )

    provider: Mapped[Provider] = relationship()
    partnership: Mapped[Partnership] = relationship()
    school: Mapped[School | None] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    visit: Mapped[Visit | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def __str__(self) -> str:
        return f"{self.category.label} concern about {self.provider.name}"
