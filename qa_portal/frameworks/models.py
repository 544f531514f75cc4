"""Framework versions, their areas and criteria. Published versions are never edited."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.db import TimestampMixin, db, enum_column


class FrameworkStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CriterionKind(enum.StrEnum):
    """A criterion is judged on the green/amber/red grid, or as a compliance check."""

    RATING = "rating"
    COMPLIANCE = "compliance"


class Rating(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"
    NOT_SEEN = "not_seen"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]


RATING_LABELS = {
    Rating.GREEN: "Green: strong",
    Rating.AMBER: "Amber: secure, with development points",
    Rating.RED: "Red: inadequate, action required",
    Rating.MET: "Met",
    Rating.NOT_MET: "Not met",
    Rating.NOT_APPLICABLE: "Not applicable",
    Rating.NOT_SEEN: "Not seen",
}

SCALES = {
    CriterionKind.RATING: (
        Rating.GREEN,
        Rating.AMBER,
        Rating.RED,
        Rating.NOT_APPLICABLE,
        Rating.NOT_SEEN,
    ),
    CriterionKind.COMPLIANCE: (Rating.MET, Rating.NOT_MET, Rating.NOT_APPLICABLE, Rating.NOT_SEEN),
}


class Framework(TimestampMixin, db.Model):
    __tablename__ = "frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FrameworkStatus] = mapped_column(
        enum_column(FrameworkStatus, "framework_status"), default=FrameworkStatus.DRAFT
    )
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    areas: Mapped[list[FrameworkArea]] = relationship(
        back_populates="framework",
        order_by="FrameworkArea.position",
        cascade="all, delete-orphan",
    )

    @property
    def is_editable(self) -> bool:
        return self.status is FrameworkStatus.DRAFT

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class FrameworkArea(db.Model):
    __tablename__ = "framework_areas"
    __table_args__ = (UniqueConstraint("framework_id", "code", name="uq_framework_areas_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    framework: Mapped[Framework] = relationship(back_populates="areas")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="area", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("area_id", "code", name="uq_criteria_code"),
        CheckConstraint("length(prompt) > 0", name="prompt_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(
        ForeignKey("framework_areas.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[CriterionKind] = mapped_column(
        enum_column(CriterionKind, "criterion_kind"), default=CriterionKind.RATING
    )
    prompt: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    # For compliance checks, green holds "met" and red "not met"; amber stays empty.
    descriptor_green: Mapped[str] = mapped_column(Text, default="")
    descriptor_amber: Mapped[str] = mapped_column(Text, default="")
    descriptor_red: Mapped[str] = mapped_column(Text, default="")
    evidence_required: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(300), default="")

    area: Mapped[FrameworkArea] = relationship(back_populates="criteria")

    @property
    def scale(self) -> tuple[Rating, ...]:
        return SCALES[self.kind]

    def descriptor(self, rating: Rating) -> str:
        return {
            Rating.GREEN: self.descriptor_green,
            Rating.MET: self.descriptor_green,
            Rating.AMBER: self.descriptor_amber,
            Rating.RED: self.descriptor_red,
            Rating.NOT_MET: self.descriptor_red,
        }.get(rating, "")
