"""Every model, imported once so that Alembic and the mappers see the whole schema."""

from qa_portal.accounts.models import (
    AccountToken,
    RecoveryCode,
    SignInFailure,
    TwoStepCredential,
    User,
    UserSession,
)
from qa_portal.audit import AuditEvent
from qa_portal.concerns.models import Concern
from qa_portal.contracts.models import Contract
from qa_portal.demo_marker import DemoMarker
from qa_portal.frameworks.models import Criterion, Framework, FrameworkArea
from qa_portal.outbox import OutboxMessage
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import Placement, Review, ReviewDate, Target, TargetProgress
from qa_portal.providers.models import (
    ComplianceItem,
    ComplianceKind,
    Provider,
    ProviderStatusChange,
    ReminderSent,
    VocationalArea,
)
from qa_portal.pupils.models import Pupil
from qa_portal.returns.models import ReturnProgress, ReturnReminder, ReturnVersion, TermlyReturn
from qa_portal.visits.models import (
    ActionCheck,
    Amendment,
    Answer,
    AnswerRevision,
    AreaJudgement,
    FollowUpAction,
    Observation,
    Photo,
    PupilSeen,
    Visit,
    VisitInvitee,
)

__all__ = [
    "AccountToken",
    "ActionCheck",
    "Amendment",
    "Observation",
    "PupilSeen",
    "Answer",
    "AreaJudgement",
    "FollowUpAction",
    "AnswerRevision",
    "AuditEvent",
    "ComplianceItem",
    "ComplianceKind",
    "Contract",
    "Concern",
    "Criterion",
    "DemoMarker",
    "Framework",
    "FrameworkArea",
    "OutboxMessage",
    "Partnership",
    "Photo",
    "Placement",
    "Provider",
    "ProviderStatusChange",
    "Pupil",
    "RecoveryCode",
    "Review",
    "ReviewDate",
    "ReminderSent",
    "ReturnProgress",
    "ReturnReminder",
    "ReturnVersion",
    "School",
    "SignInFailure",
    "Target",
    "TargetProgress",
    "TermlyReturn",
    "TwoStepCredential",
    "User",
    "UserSession",
    "Visit",
    "VisitInvitee",
    "VocationalArea",
]
