"""The provider register entry; provider users belong to one."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.db import TimestampMixin, db


class Provider(TimestampMixin, db.Model):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    def __str__(self) -> str:
        return self.name
