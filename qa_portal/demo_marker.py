"""The demo marker: a row present when the demo command created the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.db import db, utcnow


class DemoMarker(db.Model):
    """Present when the database was created by the demo command (and so holds no real data)."""

    __tablename__ = "demo_marker"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[str] = mapped_column(String(32))
