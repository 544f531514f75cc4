"""Audit events: who created, changed, viewed or exported which record, and every sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.db import db, utcnow

# What the log can be filtered by: every action the code records and every kind of record it
# names, listed here rather than read from the table (a scan of every event on every view).
# tests/admin/test_audit.py checks that each `record("...")` in the code is listed.
ACTIONS = (
    "action_added",
    "action_answered",
    "action_checked",
    "compliance_kind_changed",
    "compliance_kind_created",
    "compliance_uploaded",
    "compliance_verified",
    "contract_changed",
    "contract_created",
    "contract_document_uploaded",
    "concern_raised",
    "concern_resolved",
    "concern_visit_planned",
    "criterion_added",
    "criterion_changed",
    "criterion_removed",
    "demo_seeded",
    "document_downloaded",
    "framework_drafted",
    "framework_published",
    "invitation_accepted",
    "partnership_changed",
    "password_changed",
    "password_reset_requested",
    "photo_added",
    "placement_agreement_downloaded",
    "placement_changed",
    "placement_created",
    "placement_ended",
    "placement_reviewed",
    "placement_viewed",
    "provider_changed",
    "provider_created",
    "provider_status_changed",
    "provider_usage_changed",
    "pupil_changed",
    "pupil_created",
    "pupil_seen_added",
    "pupil_seen_removed",
    "pupil_viewed",
    "recovery_code_used",
    "recovery_codes_renewed",
    "reference_loaded",
    "return_accepted",
    "return_changes_requested",
    "return_reminder_sent",
    "return_saved",
    "return_submitted",
    "return_template_downloaded",
    "return_uploaded",
    "return_viewed",
    "school_changed",
    "school_created",
    "sessions_ended",
    "sign_in",
    "sign_in_failed",
    "sign_in_throttled",
    "sign_out",
    "two_step_failed",
    "two_step_off",
    "two_step_on",
    "two_step_reset",
    "user_changed",
    "user_created",
    "user_disabled",
    "user_enabled",
    "user_invited",
    "visit_amended",
    "visit_invited",
    "visit_published",
    "visit_report_downloaded",
    "visit_scheduled",
    "visit_signed_off",
)
TARGET_TYPES = (
    "ComplianceItem",
    "ComplianceKind",
    "Contract",
    "Concern",
    "Criterion",
    "FollowUpAction",
    "Framework",
    "Partnership",
    "Photo",
    "Placement",
    "Provider",
    "Pupil",
    "School",
    "TermlyReturn",
    "User",
    "Visit",
)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        Index("ix_audit_events_action_created_at", "action", "created_at"),
        # The log's filters, each followed by the newest-first order of the list.
        Index("ix_audit_events_actor_email_created_at", "actor_email", "created_at"),
        Index("ix_audit_events_target_type_created_at", "target_type", "created_at"),
        Index("ix_audit_events_pupil_created_at", "pupil_id", "created_at"),
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
    # The pupil an event concerns, whatever its record (the pupil's own, later a placement or
    # a return), so the log can show everything done with one pupil's data.
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id", ondelete="SET NULL"))
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
    pupil=None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits). `pupil` names the
    pupil whose data the event concerns."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_email=actor_email if actor_email is not None else getattr(actor, "email", ""),
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        summary=summary[:500],
        details=details or {},
        pupil_id=getattr(pupil, "id", None),
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
