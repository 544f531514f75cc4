"""Partnerships (SEIPs) and their member schools."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from qa_portal.db import TimestampMixin, db
from qa_portal.inputs import name_key


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
    # The name as compared: two schools may not differ only in case, in any alphabet.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)

    partnership: Mapped[Partnership] = relationship(back_populates="schools")

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = name_key(name)
        return name

    def __str__(self) -> str:
        return self.name
