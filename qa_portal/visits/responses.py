"""The provider's responses to the follow-up actions of a published visit."""

from __future__ import annotations

from qa_portal import audit, inputs
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.visits.models import ActionStatus, FollowUpAction
from qa_portal.visits.signoff import SignOffError


def respond(actor: User, action: FollowUpAction, response: str, status: str) -> None:
    response = inputs.clean_text(response, field="response", label="Your response", max_length=2000)
    if not response:
        raise SignOffError("Enter your response", "response")
    try:
        action.status = ActionStatus(status)
    except ValueError:
        raise SignOffError("Choose where the action stands", "status") from None
    action.provider_response, action.responded_at = response, utcnow()
    db.session.flush()
    audit.record("action_answered", actor=actor, target=action, summary="Provider responded")
