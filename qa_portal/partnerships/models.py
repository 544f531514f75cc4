"""Partnerships (SEIPs) and their member schools."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.db import TimestampMixin, db


class Partnership(TimestampMixin, db.Model):
    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(200), default="")

    schools: Mapped[list[School]] = relationship(
        back_populates="partnership", order_by="School.name"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class School(TimestampMixin, db.Model):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("name", name="uq_schools_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)

    partnership: Mapped[Partnership] = relationship(back_populates="schools")

    def __str__(self) -> str:
        return self.name
