"""Audit events: who created, changed, viewed or exported which record, and every sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.db import db, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        Index("ix_audit_events_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Kept as text so the trail still reads after an account is renamed.
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")


def record(
    action: str,
    *,
    actor=None,
    target=None,
    summary: str = "",
    details: dict[str, Any] | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_email=actor_email if actor_email is not None else getattr(actor, "email", ""),
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        summary=summary[:500],
        details=details or {},
        ip=client_ip(),
    )
    db.session.add(event)
    return event


def client_ip() -> str:
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:64]


def changes(record_obj, form_data: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply form_data to record_obj and return {field: [old, new]} for what changed."""
    diff: dict[str, list[Any]] = {}
    for field, new in form_data.items():
        old = getattr(record_obj, field)
        if old != new:
            diff[field] = [_plain(old), _plain(new)]
            setattr(record_obj, field, new)
    return diff


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
