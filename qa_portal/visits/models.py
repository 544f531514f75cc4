"""Visits, who is invited to them, and the visit's answers (filled in by the checklist)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.db import TimestampMixin, db, enum_column, utcnow
from qa_portal.frameworks.models import Framework, Rating
from qa_portal.providers.models import Provider

if TYPE_CHECKING:
    from qa_portal.accounts.models import User
    from qa_portal.partnerships.models import School


class VisitType(enum.StrEnum):
    ANNUAL = "annual"
    MONITORING = "monitoring"
    FOLLOW_UP = "follow_up"
    UNANNOUNCED = "unannounced"

    @property
    def label(self) -> str:
        return self.value.replace("_", "-").capitalize()


class VisitStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    SIGNED_OFF = "signed_off"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Judgement(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return {
            "green": "Green: strong",
            "amber": "Amber: secure, with development points",
            "red": "Red: inadequate, action required",
        }[self.value]


class Visit(TimestampMixin, db.Model):
    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_provider_date", "provider_id", "visit_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id"))
    visit_type: Mapped[VisitType] = mapped_column(enum_column(VisitType, "visit_type"))
    visit_date: Mapped[date]
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The partnership whose visit this is: it sees the visit before it is published.
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id"), index=True)
    status: Mapped[VisitStatus] = mapped_column(
        enum_column(VisitStatus, "visit_status"), default=VisitStatus.SCHEDULED
    )
    purpose: Mapped[str] = mapped_column(Text, default="")
    overall: Mapped[Judgement | None] = mapped_column(enum_column(Judgement, "overall_judgement"))
    strengths: Mapped[str] = mapped_column(Text, default="")
    development: Mapped[str] = mapped_column(Text, default="")
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None]
    report_key: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Shown on every row of the visit lists: loaded with the visits or not at all.
    provider: Mapped[Provider] = relationship(lazy="raise")
    judgements: Mapped[list[AreaJudgement]] = relationship(cascade="all, delete-orphan")
    actions: Mapped[list[FollowUpAction]] = relationship(
        cascade="all, delete-orphan", order_by="FollowUpAction.id"
    )
    framework: Mapped[Framework] = relationship()
    lead: Mapped[User] = relationship(foreign_keys=[lead_id], lazy="raise")
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])
    invitees: Mapped[list[VisitInvitee]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitInvitee.id"
    )
    pupils: Mapped[list[PupilSeen]] = relationship(
        cascade="all, delete-orphan", order_by="PupilSeen.id"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        cascade="all, delete-orphan", order_by="Amendment.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)

    def __str__(self) -> str:
        return f"{self.visit_type.label} visit to {self.provider.name}, {self.visit_date:%-d %b %Y}"


class VisitInvitee(db.Model):
    """A head or member of staff invited to join a visit; access comes from the invitation."""

    __tablename__ = "visit_invitees"
    __table_args__ = (UniqueConstraint("visit_id", "user_id", name="uq_visit_invitees_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")

    visit: Mapped[Visit] = relationship(back_populates="invitees")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Answer(db.Model):
    """The current rating and note of one criterion in one visit: the latest answer given."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("visit_id", "criterion_id", name="uq_answers_criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating, "rating"))
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    answered_by: Mapped[User | None] = relationship()


class AnswerRevision(db.Model):
    """Every answer as it was sent, once per client id: the history, and the guard against a
    queued answer being stored twice."""

    __tablename__ = "answer_revisions"
    __table_args__ = (Index("ix_answer_revisions_visit_criterion", "visit_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating, "rating"))
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An invited head's observation rather than the visit team's answer.
    observation: Mapped[bool] = mapped_column(default=False, server_default=false())

    author: Mapped[User | None] = relationship()


class Observation(db.Model):
    """What an invited head noted about one criterion: theirs, beside the team's answer. The
    latest text each head sent stands; every version stays in the answer history."""

    __tablename__ = "visit_observations"
    __table_args__ = (
        UniqueConstraint("visit_id", "criterion_id", "author_id", name="uq_visit_observations"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    observed_at: Mapped[datetime]

    author: Mapped[User] = relationship()


class PupilSeen(db.Model):
    """A pupil the visitors saw at the provider: one placed there, ticked from the provider's
    placements, or someone not listed, as free text. The name and school are copied either
    way: the school says whose roll the pupil is on, which decides which head may see the
    name, and the visit's record stays as it was whatever later happens to the pupil's."""

    __tablename__ = "visit_pupils"
    # A pupil is seen once per visit; free-text rows (no pupil) as many times as entered.
    __table_args__ = (UniqueConstraint("visit_id", "pupil_id", name="uq_visit_pupils_pupil"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    # Kept if the pupil's record is ever deleted: the row becomes free text with its copies.
    pupil_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupils.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School | None] = relationship()


class Amendment(db.Model):
    """A change to a signed-off visit: what a criterion's answer was, what it became, who
    changed it and why. Signed-off answers change only this way."""

    __tablename__ = "visit_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    old_rating: Mapped[Rating | None] = mapped_column(enum_column(Rating, "amended_from"))
    new_rating: Mapped[Rating | None] = mapped_column(enum_column(Rating, "amended_to"))
    old_note: Mapped[str] = mapped_column(Text, default="")
    new_note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    made_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Photo(db.Model):
    """An evidence photo: stored processed (upright, resized, no metadata) with a thumbnail."""

    __tablename__ = "visit_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"))
    caption: Mapped[str] = mapped_column(String(500), default="")
    image_key: Mapped[str] = mapped_column(String(300), unique=True)
    thumbnail_key: Mapped[str] = mapped_column(String(300), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class AreaJudgement(db.Model):
    """The judgement of one area of a visit: proposed from its ratings, overridable with a
    reason."""

    __tablename__ = "area_judgements"
    __table_args__ = (UniqueConstraint("visit_id", "area_id", name="uq_area_judgements_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("framework_areas.id"))
    proposed: Mapped[Judgement | None] = mapped_column(enum_column(Judgement, "proposed_judgement"))
    judgement: Mapped[Judgement] = mapped_column(enum_column(Judgement, "judgement"))
    override_reason: Mapped[str] = mapped_column(Text, default="")


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class FollowUpAction(db.Model):
    __tablename__ = "visit_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "action_status"), default=ActionStatus.OPEN
    )
    provider_response: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None]


class ActionCheck(db.Model):
    """What a later visit found of an earlier visit's follow-up action. Kept on the later
    visit: the earlier visit, its action and the provider's response stay as they were."""

    __tablename__ = "visit_action_checks"
    __table_args__ = (UniqueConstraint("visit_id", "action_id", name="uq_visit_action_checks"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("visit_actions.id", ondelete="CASCADE"))
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, "check_status"))
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
