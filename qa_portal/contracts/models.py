"""Contracts: the written agreement behind every arrangement with a provider (clause 12.5),
between the provider and a member school or the partnership itself."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from qa_portal.db import TimestampMixin, db, enum_column
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider

if TYPE_CHECKING:
    from qa_portal.accounts.models import User

# A contract "ends soon" when it is running and its last day is at most this many days away.
ENDING_WITHIN_DAYS = 30
MAX_VALUE = Decimal("9999999999.99")  # what Numeric(12, 2) holds
MAX_RATE = Decimal("99999999.99")  # what Numeric(10, 2) holds


class RateUnit(enum.StrEnum):
    DAY = "day"
    SESSION = "session"
    HOUR = "hour"

    @property
    def label(self) -> str:
        return f"per {self.value}"


class ContractState(enum.StrEnum):
    """Where a contract stands on a given day; each contract is in exactly one state."""

    NOT_STARTED = "not_started"
    CURRENT = "current"
    ENDING = "ending"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not yet started",
            "current": "Current",
            "ending": f"Ends within {ENDING_WITHIN_DAYS} days",
            "ended": "Ended",
        }[self.value]

    @property
    def tag(self) -> str:
        return {"not_started": "blue", "current": "green", "ending": "orange", "ended": "grey"}[
            self.value
        ]


def state_on(start_date: date, end_date: date, today: date) -> ContractState:
    """The rule, in Python (`services.state_sql` is the same rule in SQL). A contract runs from
    its first day to its last, both included."""
    if start_date > today:
        return ContractState.NOT_STARTED
    if end_date < today:
        return ContractState.ENDED
    if end_date <= today + timedelta(days=ENDING_WITHIN_DAYS):
        return ContractState.ENDING
    return ContractState.CURRENT


class Contract(TimestampMixin, db.Model):
    __tablename__ = "contracts"
    __table_args__ = (
        # The reference as compared: unique within a partnership, whatever its case.
        UniqueConstraint("partnership_id", "reference_key", name="uq_contracts_reference_key"),
        UniqueConstraint("document_key", name="uq_contracts_document_key"),
        CheckConstraint("end_date > start_date", name="end_after_start"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("rate_amount >= 0", name="rate_not_negative"),
        CheckConstraint(
            "document_key IS NULL OR (document_size > 0 AND document_name IS NOT NULL "
            "AND document_type IS NOT NULL AND document_sha256 IS NOT NULL)",
            name="document_complete",
        ),
        Index("ix_contracts_provider_id", "provider_id"),
        Index("ix_contracts_school_id", "school_id"),
        Index("ix_contracts_end_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Always the owning partnership; the school, when a member school commissions it.
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    reference: Mapped[str] = mapped_column(String(100))
    reference_key: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[date]
    end_date: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    rate_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    rate_unit: Mapped[RateUnit] = mapped_column(enum_column(RateUnit, "rate_unit"))
    terms: Mapped[str] = mapped_column(Text, default="")
    document_key: Mapped[str | None] = mapped_column(String(300))
    document_name: Mapped[str | None] = mapped_column(String(255))
    document_type: Mapped[str | None] = mapped_column(String(100))
    document_size: Mapped[int | None]
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_uploaded_at: Mapped[datetime | None]
    document_uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    partnership: Mapped[Partnership] = relationship()
    school: Mapped[School | None] = relationship()
    provider: Mapped[Provider] = relationship()
    document_uploaded_by: Mapped[User | None] = relationship(foreign_keys=[document_uploaded_by_id])

    @validates("reference")
    def _keep_reference_key(self, _key: str, reference: str) -> str:
        self.reference_key = name_key(reference)
        return reference

    @property
    def commissioner(self) -> str:
        """Who commissioned it: the school, or the partnership itself."""
        return self.school.name if self.school else self.partnership.name

    def state(self, today: date) -> ContractState:
        return state_on(self.start_date, self.end_date, today)

    def __str__(self) -> str:
        return self.reference
