"""Who may see or do what: the one place where scope and permissions are decided.

Records are loaded through the scoped queries below, so a record outside a user's scope is
simply not found (404). Role checks on routes use `role_required` (403); per-record actions use
`can(user, action, record)`, and so do pages: every button or link a page shows for some people
only, and every section of the menu (`can(user, "see_section", name)`, see `SECTIONS`), asks the
rules table `_RULES` rather than comparing roles.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, wraps
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import current_user, login_required
from sqlalchemy import Integer, Select, and_, bindparam, case, false, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import clock, terms
from qa_portal.accounts.models import WITH_AFFILIATION, Role, User
from qa_portal.concerns.models import Concern
from qa_portal.contracts.models import Contract
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import Framework, FrameworkStatus
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import Placement
from qa_portal.providers.models import (
    ComplianceItem,
    Provider,
    ProviderStatus,
    provider_partnerships,
)
from qa_portal.pupils.models import Pupil
from qa_portal.returns.models import ReturnStatus, TermlyReturn
from qa_portal.visits.models import (
    ActionStatus,
    Amendment,
    FollowUpAction,
    PupilSeen,
    Visit,
    VisitInvitee,
    VisitStatus,
)

T = TypeVar("T")

COUNTY_WIDE = (Role.ADMIN, Role.OFFICER)
PLANNERS = (Role.ADMIN, Role.STAFF)  # schedule visits, keep the register
WATCHERS = (Role.ADMIN, Role.OFFICER, Role.STAFF)  # answer for providers' compliance

# The sections of the service, named for the menu and for pages that send someone elsewhere:
# who may see each one.
SECTIONS: dict[str, tuple[Role, ...]] = {
    "home": tuple(Role),
    "partnerships": COUNTY_WIDE,
    "own_partnership": (Role.STAFF, Role.HEAD),
    "register": (Role.ADMIN, Role.OFFICER, Role.STAFF, Role.HEAD),
    "own_provider": (Role.PROVIDER,),
    "expiring": WATCHERS,
    "visits": tuple(Role),
    # Every role sees the contracts it is party to or answers for (`contracts_for`).
    "contracts": tuple(Role),
    # Officers see counts of pupils, never names; a provider its placed pupils, through Placements.
    "pupils": (Role.ADMIN, Role.OFFICER, Role.STAFF, Role.HEAD),
    # Concerns are the partnerships' own: never shown to the provider they are about.
    "concerns": (Role.ADMIN, Role.OFFICER, Role.STAFF, Role.HEAD),
    # Placements name pupils: officers see none (their counts are on the pupils' page); a
    # provider sees its own.
    "placements": (Role.ADMIN, Role.STAFF, Role.HEAD, Role.PROVIDER),
    # Termly returns name pupils too: the provider sends its own, the partnership reads them.
    "returns": (Role.ADMIN, Role.STAFF, Role.HEAD, Role.PROVIDER),
    "frameworks": tuple(Role),
    "users": (Role.ADMIN,),
    "documents": (Role.ADMIN,),
    "audit": (Role.ADMIN,),
    "outbox": (Role.ADMIN,),
    "account": tuple(Role),
}


def sections_for(user: User) -> frozenset[str]:
    """The sections a user may see (the menu asks on every page)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return sections_of(user.role)


@cache
def sections_of(role: Role) -> frozenset[str]:
    """The sections of `SECTIONS` open to a role."""
    return frozenset(name for name, roles in SECTIONS.items() if role in roles)


def role_required(*roles: Role):
    """Signed-in users of the given roles only; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def partnerships_for(user: User) -> Select[tuple[Partnership]]:
    stmt = select(Partnership).order_by(Partnership.code)
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        return stmt.where(Partnership.id == user.partnership_id)
    if user.role is Role.HEAD:
        return stmt.join(School).where(School.id == user.school_id)
    return stmt.where(false())


def schools_for(user: User) -> Select[tuple[School]]:
    stmt = select(School).order_by(School.name)
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        return stmt.where(School.partnership_id == user.partnership_id)
    if user.role is Role.HEAD:
        return stmt.where(School.id == user.school_id)
    return stmt.where(false())


def providers_for(user: User) -> Select[tuple[Provider]]:
    """The register is county-wide; a provider user sees only its own entry."""
    stmt = select(Provider).order_by(Provider.name)
    if user.role is Role.PROVIDER:
        return stmt.where(Provider.id == user.provider_id)
    return stmt


def registration_watched_for(user: User) -> Select[tuple[Provider]]:
    """The providers whose registration flag a user is shown: county-wide for officers and
    admins; for staff, those their partnership uses or places its pupils with (the flag counts
    every partnership's placements, but names none of their pupils)."""
    stmt = providers_for(user).where(Provider.status != ProviderStatus.CLOSED)
    if user.role is Role.STAFF:
        used = select(provider_partnerships.c.provider_id).where(
            provider_partnerships.c.partnership_id == user.partnership_id
        )
        own_schools = select(School.id).where(School.partnership_id == user.partnership_id)
        placed = (
            select(Placement.provider_id)
            .join(Pupil, Pupil.id == Placement.pupil_id)
            .where(Pupil.school_id.in_(own_schools))
        )
        return stmt.where(or_(Provider.id.in_(used), Provider.id.in_(placed)))
    if user.role in COUNTY_WIDE:
        return stmt
    return stmt.where(false())


def watched_providers_for(user: User) -> Select[tuple[Provider]]:
    """The open providers whose compliance this user answers for: staff, those their partnership
    uses; officers and admins, all of them."""
    stmt = providers_for(user).where(Provider.status != ProviderStatus.CLOSED)
    if user.role is Role.STAFF:
        used = select(provider_partnerships.c.provider_id).where(
            provider_partnerships.c.partnership_id == user.partnership_id
        )
        return stmt.where(Provider.id.in_(used))
    if user.role in COUNTY_WIDE:
        return stmt
    return stmt.where(false())


def compliance_items_for(user: User) -> Select[tuple[ComplianceItem]]:
    """Compliance evidence of the providers in scope; heads see states, not documents."""
    stmt = select(ComplianceItem).order_by(ComplianceItem.id)
    if user.role is Role.HEAD:
        return stmt.where(false())
    in_scope = providers_for(user).with_only_columns(Provider.id).order_by(None)
    return stmt.where(ComplianceItem.provider_id.in_(in_scope))


def contracts_for(user: User) -> Select[tuple[Contract]]:
    """Contracts: county-wide for admins and officers (officers read only, values included:
    comparing costs is their job); partnership staff their partnership's; a head those their
    school commissioned; a provider those it is party to."""
    stmt = select(Contract).order_by(Contract.end_date, Contract.id)
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        return stmt.where(Contract.partnership_id == user.partnership_id)
    if user.role is Role.HEAD:
        return stmt.where(Contract.school_id == user.school_id)
    if user.role is Role.PROVIDER:
        return stmt.where(Contract.provider_id == user.provider_id)
    return stmt.where(false())


def contract_providers_for(user: User) -> Select[tuple[Provider]]:
    """The providers a user may put a contract with: for staff, the open providers their
    partnership uses (the register's "used by"); for admins, every open provider."""
    stmt = select(Provider).where(Provider.status != ProviderStatus.CLOSED).order_by(Provider.name)
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.STAFF:
        used = select(provider_partnerships.c.provider_id).where(
            provider_partnerships.c.partnership_id == user.partnership_id
        )
        return stmt.where(Provider.id.in_(used))
    return stmt.where(false())


def pupils_for(user: User) -> Select[tuple[Pupil]]:
    """The pupils whose records a user may read, by name: admins all; partnership staff those
    on the roll of their partnership's schools; a head those on their school's roll; a provider
    those placed with it lately (`provider_placements`). Officers none (they see counts:
    `pupils_counted_for`). A provider reads a pupil only through its placements: the pupil's
    own page stays closed to it (`_pupil_reader`)."""
    stmt = select(Pupil).order_by(Pupil.name_key, Pupil.id)
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.STAFF:
        own = select(School.id).where(School.partnership_id == user.partnership_id)
        return stmt.where(Pupil.school_id.in_(own))
    if user.role is Role.HEAD:
        return stmt.where(Pupil.school_id == user.school_id)
    if user.role is Role.PROVIDER:
        placed = provider_placements(user, clock.today()).with_only_columns(Placement.pupil_id)
        return stmt.where(Pupil.id.in_(placed.order_by(None)))
    return stmt.where(false())


# How far back a provider keeps seeing a pupil after the placement: this term or the last,
# about six months, long enough to send the last term's return and answer questions about it.
def provider_window_start(today: date) -> date:
    """The first day of the window in which a provider sees its placements: the start of the
    term before the one `today` is in (a holiday belongs to the term just ended), so a provider
    sees each placement that ran during the current or the previous term, or starts later."""
    term = terms.term_on(today)
    return terms.previous_term(term).start


def provider_placements(user: User, today: date) -> Select[tuple[Placement]]:
    """A provider's own placements that ran in its window or are still to come."""
    return select(Placement).where(
        Placement.provider_id == user.provider_id,
        or_(Placement.finish_date.is_(None), Placement.finish_date >= provider_window_start(today)),
    )


def placements_for(user: User) -> Select[tuple[Placement]]:
    """Placements whose pupil a user may read by name: admins all; partnership staff those of
    their partnership's pupils; a head those of their school's pupils; a provider its own of
    late (`provider_placements`), never another provider's. Officers none."""
    stmt = select(Placement).order_by(Placement.start_date.desc(), Placement.id.desc())
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.STAFF:
        own = select(School.id).where(School.partnership_id == user.partnership_id)
        on_roll = select(Pupil.id).where(Pupil.school_id.in_(own))
        return stmt.where(Placement.pupil_id.in_(on_roll))
    if user.role is Role.HEAD:
        on_roll = select(Pupil.id).where(Pupil.school_id == user.school_id)
        return stmt.where(Placement.pupil_id.in_(on_roll))
    if user.role is Role.PROVIDER:
        window = provider_placements(user, clock.today()).with_only_columns(Placement.id)
        return stmt.where(Placement.id.in_(window))
    return stmt.where(false())


def returns_for(user: User) -> Select[tuple[TermlyReturn]]:
    """Termly returns of the placements a user may read (`placements_for`): a provider its
    own, a head those of their school's pupils, staff their partnership's; officers none."""
    scope = placements_for(user).with_only_columns(Placement.id).order_by(None)
    return (
        select(TermlyReturn).where(TermlyReturn.placement_id.in_(scope)).order_by(TermlyReturn.id)
    )


def _own_placement(user: User, placement: Placement) -> bool:
    return user.role is Role.PROVIDER and user.provider_id == placement.provider_id


def _return_reviewer(user: User, ret: TermlyReturn) -> bool:
    """Admins, and staff of the pupil's partnership (its key workers and co-ordinators)."""
    if user.role is Role.STAFF:
        return user.partnership_id == ret.placement.pupil.school.partnership_id
    return user.role is Role.ADMIN


def placement_providers_for(user: User) -> Select[tuple[Provider]]:
    """The providers a user may place a pupil with: for staff, those their partnership uses
    (suspended and closed ones too: placing with them is warned of and needs a reason); for
    admins, the whole register."""
    stmt = select(Provider).order_by(Provider.name)
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.STAFF:
        used = select(provider_partnerships.c.provider_id).where(
            provider_partnerships.c.partnership_id == user.partnership_id
        )
        return stmt.where(Provider.id.in_(used))
    return stmt.where(false())


def pupils_counted_for(user: User) -> Select[tuple[Pupil]]:
    """The pupils a user may count (aggregates with no names): officers and admins all of
    them; anyone else the pupils they may read."""
    if user.role in COUNTY_WIDE:
        return select(Pupil)
    return pupils_for(user).order_by(None)


def key_workers_for(user: User) -> Select[tuple[User]]:
    """Partnership staff who may be key workers of the pupils a user reads: staff of the
    partnerships in the user's scope, still enabled."""
    stmt = (
        select(User)
        .where(User.role == Role.STAFF, User.disabled_at.is_(None))
        .order_by(User.name, User.id)
    )
    if user.role is Role.ADMIN:
        return stmt
    if user.role in (Role.STAFF, Role.HEAD):
        scope = partnerships_for(user).with_only_columns(Partnership.id).order_by(None)
        return stmt.where(User.partnership_id.in_(scope))
    return stmt.where(false())


def _pupil_reader(user: User, pupil: Pupil) -> bool:
    """The rule of `pupils_for`, for one pupil already loaded."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.STAFF:
        return user.partnership_id is not None and user.partnership_id == (
            pupil.school.partnership_id
        )
    if user.role is Role.HEAD:
        return user.school_id is not None and user.school_id == pupil.school_id
    return False


def _placement_editor(user: User, placement: Placement) -> bool:
    """Admins, and staff of the pupil's partnership, while the placement runs."""
    if placement.finish_date is not None:
        return False
    if user.role is Role.STAFF:
        return user.partnership_id == placement.pupil.school.partnership_id
    return user.role is Role.ADMIN


def frameworks_for(user: User) -> Select[tuple[Framework]]:
    """Published versions for everyone; drafts for admins only."""
    stmt = select(Framework).order_by(Framework.version.desc())
    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(Framework.status == FrameworkStatus.PUBLISHED)


def visits_for(user: User) -> Select[tuple[Visit]]:
    """Published visits of the providers a user may see; before publication, the visits of the
    user's own partnership and those the user is invited to (see `_visit_condition`)."""
    scope = {name: bindparam(f"scope_{name}", value) for name, value in _scope(user).items()}
    return (
        select(Visit)
        .where(_visit_condition(user.role, **scope))
        .order_by(Visit.visit_date.desc(), Visit.id.desc())
    )


def follow_up_actions_for(user: User) -> Select[tuple[FollowUpAction]]:
    """The follow-up actions still open that a user follows up, soonest due first: all of them
    county-wide; for partnership staff, those of their partnership's visits and of the visits
    they led. An action counts once its visit is signed off."""
    stmt = (
        select(FollowUpAction)
        .join(Visit, FollowUpAction.visit_id == Visit.id)
        .where(
            FollowUpAction.status != ActionStatus.DONE,
            Visit.status.in_((VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED)),
        )
        .order_by(FollowUpAction.due_on, FollowUpAction.id)
    )
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        own = or_(Visit.partnership_id == user.partnership_id, Visit.lead_id == user.id)
        return stmt.where(own)
    return stmt.where(false())


def concerns_for(user: User) -> Select[tuple[Concern]]:
    """The concerns a user may read, open first, then the latest: all of them county-wide;
    for partnership staff, those raised in their partnership (clause 12.10: the school and
    its partnership resolve them); for a head, those they raised; providers none."""
    stmt = select(Concern).order_by(
        case((Concern.resolved_at.is_(None), 0), else_=1),
        Concern.happened_on.desc(),
        Concern.id.desc(),
    )
    if user.role in COUNTY_WIDE:
        return stmt
    if user.role is Role.STAFF:
        return stmt.where(Concern.partnership_id == user.partnership_id)
    if user.role is Role.HEAD:
        return stmt.where(Concern.raised_by_id == user.id)
    return stmt.where(false())


def visit_or_404(
    user: User, visit_id: int, *, with_team: bool = False, with_page: bool = False
) -> Visit:
    """One visit in the user's scope, or 404. The same rule as `visits_for`, in a statement
    built once per role with the user as parameters: the checklist and its answers ask for
    their visit all day long. The provider always comes with it (every page of a visit, and
    every audit line, names it); `with_team` loads the invitees too; `with_page` everything the
    visit's own page shows, in a fixed number of queries."""
    params = {f"scope_{name}": value for name, value in _scope(user).items()}
    stmt = _visit_statement(user.role, with_team, with_page)
    visit = db.session.scalars(stmt, {"visit_id": visit_id, **params}).unique().first()
    if visit is None:
        abort(404)
    return visit


@cache
def _visit_statement(role: Role, with_team: bool, with_page: bool) -> Select[tuple[Visit]]:
    scope = {name: bindparam(f"scope_{name}") for name in _SCOPE}
    stmt = (
        select(Visit)
        .where(Visit.id == bindparam("visit_id", type_=Integer), _visit_condition(role, **scope))
        .options(joinedload(Visit.provider))
    )
    if with_team:
        stmt = stmt.options(joinedload(Visit.invitees))
    if with_page:
        stmt = stmt.options(
            joinedload(Visit.lead),
            joinedload(Visit.framework),
            selectinload(Visit.invitees).joinedload(VisitInvitee.user),
            selectinload(Visit.actions),
            selectinload(Visit.pupils).joinedload(PupilSeen.school),
            selectinload(Visit.amendments).joinedload(Amendment.author),
        )
    return stmt


_SCOPE = ("user_id", "partnership_id", "school_id", "provider_id", "head_until")


def _scope(user: User) -> dict[str, Any]:
    """The facts about a user that decide which visits they may read."""
    head_until = None
    if user.role is Role.HEAD:
        # The invitation gives access until a set time after publication.
        head_until = utcnow() - timedelta(days=current_app.config["HEAD_VISIT_ACCESS_DAYS"])
    return {
        "user_id": user.id,
        "partnership_id": user.partnership_id,
        "school_id": user.school_id,
        "provider_id": user.provider_id,
        "head_until": head_until,
    }


def _visit_condition(role: Role, user_id, partnership_id, school_id, provider_id, head_until):
    """Which visits a user may read, in SQL; the user's facts (`_scope`) are bound parameters,
    so an absent one (a staff member with no partnership) matches nothing."""
    if role in COUNTY_WIDE:
        return true()
    invited = select(VisitInvitee.visit_id).where(VisitInvitee.user_id == user_id)
    published = Visit.status == VisitStatus.PUBLISHED
    if role is Role.STAFF:
        return or_(published, Visit.partnership_id == partnership_id, Visit.id.in_(invited))
    if role is Role.HEAD:
        # Once the invitation's time is up, only a visit that saw pupils on the roll of the
        # head's school stays open to them.
        own_pupils = select(PupilSeen.visit_id).where(PupilSeen.school_id == school_id)
        return and_(
            Visit.id.in_(invited),
            or_(
                Visit.published_at.is_(None),
                Visit.published_at > head_until,
                Visit.id.in_(own_pupils),
            ),
        )
    if role is Role.PROVIDER:
        return and_(published, Visit.provider_id == provider_id)
    return false()


def earlier_visit_scope(user: User) -> dict[str, int]:
    """Which earlier signed-off visits a user may read, as query parameters (see
    `previous_visit_condition`): all of them county-wide; a partnership's own; otherwise
    only published ones. The checklist shows the provider's previous visit beside this one."""
    return {
        "everyone": 1 if user.role in COUNTY_WIDE else 0,
        "own_partnership": user.partnership_id or -1 if user.role is Role.STAFF else -1,
    }


def previous_visit_condition(everyone, own_partnership):
    """SQL for "this earlier visit may be read", given `earlier_visit_scope`'s parameters."""
    return or_(
        Visit.status == VisitStatus.PUBLISHED,
        and_(
            Visit.status == VisitStatus.SIGNED_OFF,
            or_(everyone == 1, Visit.partnership_id == own_partnership),
        ),
    )


def pupils_seen_for(user: User, visit: Visit) -> list[PupilSeen]:
    """The pupils seen on a visit whose names this user may read: the visit's own team and
    admins see all; a head only the pupils on their school's roll; anyone else none."""
    if user.role is Role.ADMIN or _on_team(user, visit):
        return list(visit.pupils)
    if user.role is Role.HEAD and user.school_id is not None:
        return [p for p in visit.pupils if p.school_id == user.school_id]
    return []


def _on_team(user: User, visit: Visit) -> bool:
    """The visit's lead, staff of the partnership whose visit it is, and invited staff."""
    return (
        user.id == visit.lead_id
        or (user.role is Role.STAFF and user.partnership_id == visit.partnership_id)
        or (user.role is Role.STAFF and user.id in {i.user_id for i in visit.invitees})
    )


def users_for(user: User) -> Select[tuple[User]]:
    """Every page of users shows their affiliation: it comes with them."""
    stmt = select(User).options(*WITH_AFFILIATION).order_by(User.name)
    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(User.id == user.id)


def get_or_404(stmt: Select[tuple[T]], **filters: Any) -> T:
    """Load one record from a scoped query, or 404 when it is absent or out of scope."""
    entity = stmt.column_descriptions[0]["entity"]
    for name, value in filters.items():
        stmt = stmt.where(getattr(entity, name) == value)
    record = db.session.scalars(stmt.limit(1)).first()
    if record is None:
        abort(404)
    return record


def can(user: User, action: str, record: object = None) -> bool:
    """May `user` do `action` to `record` (which must already be in the user's scope)? With no
    record, an action that is not about one (adding a provider); with a string, a section of
    the service (`see_section`). Unknown actions are refused."""
    if not getattr(user, "is_authenticated", False):
        return False
    kind = None if record is None else type(record).__name__
    rule = _RULES.get((kind, action))
    return bool(rule and rule(user, record))


def _roles(*roles: Role):
    return lambda user, record: user.role in roles


def _own_provider_or(*roles: Role):
    def rule(user: User, record: Provider) -> bool:
        return user.role in roles or (user.role is Role.PROVIDER and user.provider_id == record.id)

    return rule


def _lead_or_admin(user: User, visit: Visit) -> bool:
    return user.role is Role.ADMIN or user.id == visit.lead_id


def _concern_partnership_or_admin(user: User, concern: Concern) -> bool:
    """Admins, and staff of the partnership the concern was raised in."""
    return user.role is Role.ADMIN or (
        user.role is Role.STAFF and user.partnership_id == concern.partnership_id
    )


def _may_plan_visit(user: User, concern: Concern) -> bool:
    """An open concern about a provider still open, with no visit planned about it (or only
    one since cancelled)."""
    planned = concern.visit is not None and concern.visit.status is not VisitStatus.CANCELLED
    return (
        concern.is_open
        and not planned
        and concern.provider.status is not ProviderStatus.CLOSED
        and _concern_partnership_or_admin(user, concern)
    )


_RULES = {
    ("str", "see_section"): lambda user, section: section in sections_for(user),
    (None, "add_provider"): _roles(*PLANNERS),
    (None, "add_school"): _roles(Role.ADMIN),
    (None, "schedule_visit"): _roles(*PLANNERS),
    (None, "watch_providers"): _roles(*WATCHERS),
    # Staff choose between the providers their partnership uses and the whole register.
    (None, "narrow_to_own_partnership"): _roles(Role.STAFF),
    (None, "add_contract"): _roles(*PLANNERS),
    # Those who see contracts of several partnerships may narrow the list to one.
    (None, "filter_contracts_by_partnership"): _roles(*COUNTY_WIDE),
    # Staff add contracts for their own partnership; only an admin chooses (or changes) it.
    (None, "choose_contract_partnership"): _roles(Role.ADMIN),
    ("Partnership", "edit"): _roles(Role.ADMIN),
    ("School", "edit"): _roles(Role.ADMIN),
    ("User", "edit"): _roles(Role.ADMIN),
    # For a lost phone; never one's own, which needs one's own password and code.
    ("User", "reset_two_step"): lambda user, record: (
        user.role is Role.ADMIN and record.id != user.id
    ),
    ("Visit", "invite"): lambda user, visit: (
        visit.is_open
        and (
            user.role is Role.ADMIN
            or user.id == visit.lead_id
            or (user.role is Role.STAFF and user.partnership_id == visit.partnership_id)
        )
    ),
    ("Visit", "answer"): lambda user, visit: (
        visit.is_open and (user.role is Role.ADMIN or _on_team(user, visit))
    ),
    # Invited heads add observations (notes and photos, marked as theirs); they do not rate.
    ("Visit", "observe"): lambda user, visit: (
        visit.is_open and user.role is Role.HEAD and user.id in {i.user_id for i in visit.invitees}
    ),
    ("Visit", "sign_off"): lambda user, visit: visit.is_open and _lead_or_admin(user, visit),
    ("Visit", "publish"): lambda user, visit: (
        visit.status is VisitStatus.SIGNED_OFF and _lead_or_admin(user, visit)
    ),
    # The provider visited answers the follow-up actions of its published report.
    ("Visit", "respond"): lambda user, visit: (
        visit.status is VisitStatus.PUBLISHED
        and user.role is Role.PROVIDER
        and user.provider_id == visit.provider_id
    ),
    ("Visit", "amend"): lambda user, visit: (
        visit.status in (VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED)
        and (user.role is Role.ADMIN or _on_team(user, visit))
    ),
    ("Framework", "edit"): lambda user, framework: (
        user.role is Role.ADMIN and framework.is_editable
    ),
    ("Framework", "publish"): lambda user, framework: (
        user.role is Role.ADMIN and framework.is_editable
    ),
    ("Framework", "draft_from"): lambda user, framework: (
        user.role is Role.ADMIN and not framework.is_editable
    ),
    # Contracts are loaded through `contracts_for`; these rules apply to one already in scope.
    ("Contract", "edit"): lambda user, contract: (
        user.role is Role.ADMIN
        or (user.role is Role.STAFF and user.partnership_id == contract.partnership_id)
    ),
    # Commercial information: everyone a contract is shown to sees its value and rate and
    # reads the signed document (officers too, read only).
    ("Contract", "see_value"): _roles(*tuple(Role)),
    ("Contract", "download"): _roles(*tuple(Role)),
    (None, "add_pupil"): _roles(*PLANNERS),
    # Names of pupils in a list; officers get counts instead.
    (None, "list_pupils"): _roles(Role.ADMIN, Role.STAFF, Role.HEAD),
    ("Pupil", "view"): _pupil_reader,
    ("Pupil", "edit"): lambda user, pupil: user.role in PLANNERS and _pupil_reader(user, pupil),
    # Placements are loaded through `placements_for`; these rules apply to one in scope.
    ("Pupil", "add_placement"): lambda user, pupil: (
        user.role in PLANNERS and _pupil_reader(user, pupil)
    ),
    ("Placement", "edit"): _placement_editor,
    ("Placement", "end"): _placement_editor,
    ("Placement", "review"): _placement_editor,
    # The link to the pupil's own record (a provider reads the placement, not the record).
    ("Placement", "see_pupil_record"): lambda user, placement: _pupil_reader(user, placement.pupil),
    # Those who see placements of several partnerships may narrow the list to one.
    (None, "filter_placements_by_partnership"): _roles(Role.ADMIN),
    (None, "filter_placements_by_provider"): _roles(Role.ADMIN, Role.STAFF, Role.HEAD),
    # Termly returns: the provider sends its own, correctable until accepted; the pupil's
    # partnership reviews one submitted.
    (None, "send_returns"): _roles(Role.PROVIDER),
    (None, "list_returns"): _roles(Role.ADMIN, Role.STAFF, Role.HEAD, Role.PROVIDER),
    (None, "filter_returns_by_partnership"): _roles(Role.ADMIN),
    (None, "filter_returns_by_provider"): _roles(Role.ADMIN, Role.STAFF, Role.HEAD),
    ("Placement", "send_return"): _own_placement,
    ("TermlyReturn", "edit"): lambda user, ret: (
        ret.status is not ReturnStatus.ACCEPTED and _own_placement(user, ret.placement)
    ),
    ("TermlyReturn", "review"): lambda user, ret: (
        ret.status is ReturnStatus.SUBMITTED and _return_reviewer(user, ret)
    ),
    # The number of current placements with a provider (no names).
    ("Provider", "count_placements"): _own_provider_or(*WATCHERS),
    # Counts across every partnership, no pupil named: for those who answer for providers.
    ("Provider", "see_registration_flag"): _roles(*WATCHERS),
    ("Provider", "edit"): _roles(*PLANNERS),
    ("Provider", "schedule_visit"): lambda user, provider: (
        user.role in PLANNERS and provider.status is not ProviderStatus.CLOSED
    ),
    # Heads see each document's state on the provider's page, not the documents themselves.
    ("Provider", "see_documents"): _own_provider_or(*WATCHERS),
    ("Provider", "change_status"): _roles(Role.ADMIN, Role.STAFF),
    ("Provider", "set_usage"): _roles(Role.STAFF),
    ("Provider", "verify"): _roles(Role.ADMIN, Role.STAFF),
    ("Provider", "edit_contact"): _own_provider_or(Role.ADMIN, Role.STAFF),
    ("Provider", "upload"): _own_provider_or(Role.ADMIN, Role.STAFF),
    ("Provider", "download"): _own_provider_or(Role.ADMIN, Role.OFFICER, Role.STAFF),
    # A member school (its head) or partnership staff notify the partnership of a concern.
    ("Provider", "raise_concern"): _roles(Role.STAFF, Role.HEAD),
    ("Concern", "resolve"): lambda user, concern: (
        concern.is_open and _concern_partnership_or_admin(user, concern)
    ),
    ("Concern", "plan_visit"): _may_plan_visit,
}


def require(user: User, action: str, record: object) -> None:
    """403 unless `can(user, action, record)`."""
    if not can(user, action, record):
        abort(403)
