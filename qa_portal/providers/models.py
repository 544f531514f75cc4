"""The county-wide provider register: providers, their status history, and compliance items."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from qa_portal.db import TimestampMixin, db, enum_column, utcnow
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership

if TYPE_CHECKING:
    from qa_portal.accounts.models import User


class ProviderStatus(enum.StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    SUSPENDED = "suspended"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class OfstedJudgement(enum.StrEnum):
    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"
    NOT_YET_INSPECTED = "not_yet_inspected"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class OfstedInspectionKind(enum.StrEnum):
    """Ofsted's two ways of reporting an inspection: one overall judgement until November 2025,
    report cards (a grade per evaluation area) from then on."""

    JUDGEMENT = "judgement"
    REPORT_CARD = "report_card"

    @property
    def label(self) -> str:
        return {
            "judgement": "Single overall judgement (inspections before November 2025)",
            "report_card": "Report card (inspections from November 2025)",
        }[self.value]


class OfstedGrade(enum.StrEnum):
    """The five-point scale of a report card's evaluation areas, best first."""

    EXCEPTIONAL = "exceptional"
    STRONG_STANDARD = "strong_standard"
    EXPECTED_STANDARD = "expected_standard"
    NEEDS_ATTENTION = "needs_attention"
    URGENT_IMPROVEMENT = "urgent_improvement"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def tag(self) -> str:
        return {
            "exceptional": "green",
            "strong_standard": "green",
            "expected_standard": "blue",
            "needs_attention": "orange",
            "urgent_improvement": "red",
        }[self.value]


CONCERNING_GRADES = (OfstedGrade.NEEDS_ATTENTION, OfstedGrade.URGENT_IMPROVEMENT)
CONCERNING_JUDGEMENTS = (OfstedJudgement.REQUIRES_IMPROVEMENT, OfstedJudgement.INADEQUATE)


class OfstedSafeguarding(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {"met": "Met", "not_met": "Not met"}[self.value]


# The evaluation areas of a report card (independent schools, further education): the column
# that holds each grade, and its name.
OFSTED_AREAS = (
    ("ofsted_inclusion", "Inclusion"),
    ("ofsted_curriculum_teaching", "Curriculum and teaching"),
    ("ofsted_achievement", "Achievement"),
    ("ofsted_attendance_behaviour", "Attendance and behaviour"),
    ("ofsted_personal_development", "Personal development and well-being"),
    ("ofsted_leadership_governance", "Leadership and governance"),
)


def _grade_column(area: str):
    return mapped_column(enum_column(OfstedGrade, f"{area}_grade"))


class OfstedRegistrationType(enum.StrEnum):
    INDEPENDENT_SCHOOL = "independent_school"
    INDEPENDENT_SPECIAL_SCHOOL = "independent_special_school"
    NON_MAINTAINED_SPECIAL_SCHOOL = "non_maintained_special_school"
    FURTHER_EDUCATION = "further_education"
    CHILDCARE_REGISTER = "childcare_register"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Requirement(enum.StrEnum):
    """When a kind of compliance item is required of a provider."""

    EVERY_PROVIDER = "every_provider"
    IF_TRANSPORTING = "if_transporting"
    IF_OFSTED_REGISTERED = "if_ofsted_registered"
    OPTIONAL = "optional"

    @property
    def label(self) -> str:
        return {
            "every_provider": "Every provider",
            "if_transporting": "Providers that transport pupils",
            "if_ofsted_registered": "Providers registered with Ofsted",
            "optional": "Optional",
        }[self.value]


class ItemStatus(enum.StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


provider_vocational_areas = Table(
    "provider_vocational_areas",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("vocational_areas.id", ondelete="CASCADE"), primary_key=True),
)

provider_partnerships = Table(
    "provider_partnerships",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("partnership_id", ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True),
)


class VocationalArea(db.Model):
    __tablename__ = "vocational_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    def __str__(self) -> str:
        return self.name


class Provider(TimestampMixin, db.Model):
    __tablename__ = "providers"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "age_from IS NULL OR age_to IS NULL OR age_from <= age_to", name="age_range_order"
        ),
        CheckConstraint("ofsted_registered OR ofsted_urn IS NULL", name="urn_only_if_registered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The name as compared: two providers may not differ only in case, in any alphabet.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    age_from: Mapped[int | None]
    age_to: Mapped[int | None]
    capacity: Mapped[int | None]
    transports_pupils: Mapped[bool] = mapped_column(default=False)
    ofsted_registered: Mapped[bool] = mapped_column(default=False)
    ofsted_urn: Mapped[str | None] = mapped_column(String(10), unique=True)
    ofsted_registration_type: Mapped[OfstedRegistrationType | None] = mapped_column(
        enum_column(OfstedRegistrationType, "ofsted_registration_type")
    )
    ofsted_inspection_date: Mapped[date | None]
    ofsted_judgement: Mapped[OfstedJudgement | None] = mapped_column(
        enum_column(OfstedJudgement, "ofsted_judgement")
    )
    ofsted_link: Mapped[str] = mapped_column(String(300), default="")
    # The latest inspection is either kind; the other kind's fields stay empty.
    ofsted_inspection_kind: Mapped[OfstedInspectionKind | None] = mapped_column(
        enum_column(OfstedInspectionKind, "ofsted_inspection_kind")
    )
    ofsted_inclusion: Mapped[OfstedGrade | None] = _grade_column("ofsted_inclusion")
    ofsted_curriculum_teaching: Mapped[OfstedGrade | None] = _grade_column(
        "ofsted_curriculum_teaching"
    )
    ofsted_achievement: Mapped[OfstedGrade | None] = _grade_column("ofsted_achievement")
    ofsted_attendance_behaviour: Mapped[OfstedGrade | None] = _grade_column(
        "ofsted_attendance_behaviour"
    )
    ofsted_personal_development: Mapped[OfstedGrade | None] = _grade_column(
        "ofsted_personal_development"
    )
    ofsted_leadership_governance: Mapped[OfstedGrade | None] = _grade_column(
        "ofsted_leadership_governance"
    )
    ofsted_safeguarding: Mapped[OfstedSafeguarding | None] = mapped_column(
        enum_column(OfstedSafeguarding, "ofsted_safeguarding")
    )
    lebc_check_date: Mapped[date | None]
    dsl_name: Mapped[str] = mapped_column(String(200), default="")
    dsl_email: Mapped[str] = mapped_column(String(254), default="")
    dsl_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[ProviderStatus] = mapped_column(
        enum_column(ProviderStatus, "provider_status"), default=ProviderStatus.APPROVED
    )

    # Shown on every row of the register: a page that forgets to load them with the providers
    # fails rather than asking once per row.
    vocational_areas: Mapped[list[VocationalArea]] = relationship(
        secondary=provider_vocational_areas, order_by=VocationalArea.name, lazy="raise"
    )
    partnerships: Mapped[list[Partnership]] = relationship(
        secondary=provider_partnerships, order_by=Partnership.code, lazy="raise"
    )
    status_history: Mapped[list[ProviderStatusChange]] = relationship(
        back_populates="provider", order_by="ProviderStatusChange.changed_at.desc()"
    )

    # Filled only by lists that ask for it (`with_expression`): the compliance state as an integer.
    compliance_state: Mapped[int | None] = query_expression()

    @property
    def report_card(self) -> list[tuple[str, OfstedGrade | None]]:
        """The latest report card's grades, area by area."""
        return [(name, getattr(self, column)) for column, name in OFSTED_AREAS]

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = name_key(name)
        return name

    def __str__(self) -> str:
        return self.name


class ProviderStatusChange(db.Model):
    __tablename__ = "provider_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ProviderStatus] = mapped_column(enum_column(ProviderStatus, "provider_status"))
    reason: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    provider: Mapped[Provider] = relationship(back_populates="status_history")
    changed_by: Mapped[User | None] = relationship()


class ComplianceKind(TimestampMixin, db.Model):
    """A kind of evidence providers must keep current; admins add kinds as guidance changes."""

    __tablename__ = "compliance_kinds"
    __table_args__ = (
        CheckConstraint("min_cover_amount IS NULL OR min_cover_amount > 0", name="min_cover"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    guidance: Mapped[str] = mapped_column(Text, default="")
    expires: Mapped[bool] = mapped_column(default=True)
    needs_cover_amount: Mapped[bool] = mapped_column(default=False)
    min_cover_amount: Mapped[int | None]  # whole pounds
    requirement: Mapped[Requirement] = mapped_column(
        enum_column(Requirement, "requirement"), default=Requirement.EVERY_PROVIDER
    )
    position: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class ComplianceItem(TimestampMixin, db.Model):
    """One piece of evidence: a certificate, policy or confirmation, with its document."""

    __tablename__ = "compliance_items"
    __table_args__ = (
        CheckConstraint(
            "expiry_date IS NULL OR issue_date IS NULL OR expiry_date >= issue_date",
            name="expiry_after_issue",
        ),
        CheckConstraint("cover_amount IS NULL OR cover_amount > 0", name="cover_positive"),
        CheckConstraint("document_size > 0", name="document_not_empty"),
        UniqueConstraint("document_key", name="uq_compliance_items_document_key"),
        Index("ix_compliance_items_provider_kind", "provider_id", "kind_id"),
        Index("ix_compliance_items_status_expiry", "status", "expiry_date"),
        # Verifying an item supersedes the one it renews: one current item per provider and kind.
        Index(
            "uq_compliance_items_one_verified",
            "provider_id",
            "kind_id",
            unique=True,
            sqlite_where=text("status = 'verified'"),
            postgresql_where=text("status = 'verified'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    kind_id: Mapped[int] = mapped_column(ForeignKey("compliance_kinds.id"))
    reference: Mapped[str] = mapped_column(String(200), default="")
    issue_date: Mapped[date | None]
    expiry_date: Mapped[date | None]
    cover_amount: Mapped[int | None]  # whole pounds
    notes: Mapped[str] = mapped_column(Text, default="")
    document_key: Mapped[str] = mapped_column(String(300))
    document_name: Mapped[str] = mapped_column(String(255))
    document_type: Mapped[str] = mapped_column(String(100))
    document_size: Mapped[int]
    document_sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[ItemStatus] = mapped_column(
        enum_column(ItemStatus, "item_status"), default=ItemStatus.AWAITING_VERIFICATION
    )
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    verification_note: Mapped[str] = mapped_column(Text, default="")
    superseded_at: Mapped[datetime | None]

    provider: Mapped[Provider] = relationship()
    kind: Mapped[ComplianceKind] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])


class ReminderSent(db.Model):
    """A reminder already queued for an item at a stage (30 or 7 days before, or on the day)."""

    __tablename__ = "compliance_reminders"
    __table_args__ = (UniqueConstraint("item_id", "stage", name="uq_compliance_reminders_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("compliance_items.id", ondelete="CASCADE"))
    stage: Mapped[int]
    sent_on: Mapped[date]
