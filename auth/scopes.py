"""Row scopes of privacy.md, as SQL predicates: out-of-scope rows never leave the database.

Each function returns a WHERE clause for the viewer. `true()` means every row, `false()` none.

The clauses are made once per viewer's scope facts (`per_scope`) and shared by the requests of the
same facts: SQLAlchemy's expressions are immutable, and building one (and walking it for its
cache key, models/statements.py) cost a tenth of the citizen's home screen when done per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists, false, select, true

from auth.viewer import Role, Viewer
from models.tables import (
    card_t,
    catchment_t,
    claim_t,
    household_member_t,
    household_t,
    period_t,
    person_t,
    registration_t,
    unit_t,
    visit_t,
)

Scope = TypeVar("Scope", bound=Callable[..., ColumnElement[bool]])

SCOPES_KEPT = 4096  # clauses kept (least recently used out): one per viewer's facts and function


def facts(viewer: Viewer | None) -> Hashable:
    """Everything a row scope below is decided from (username: a citizen's registrations)."""
    if viewer is None:
        return None
    return (
        viewer.role,
        viewer.username,
        viewer.person_id,
        viewer.province_code,
        viewer.facility_id,
        viewer.unit_id,
        viewer.agent_id,
        viewer.audited_admin,
    )


def per_scope(build: Scope) -> Scope:
    """`build(viewer, *columns)` made once per viewer's facts and columns."""
    kept: OrderedDict[Hashable, ColumnElement[bool]] = OrderedDict()

    @wraps(build)
    def scoped(viewer: Viewer | None, *args: Any) -> ColumnElement[bool]:
        key = (facts(viewer), args)
        found = kept.get(key)
        if found is None:
            found = kept[key] = build(viewer, *args)
            if len(kept) > SCOPES_KEPT:
                kept.popitem(last=False)
        else:
            kept.move_to_end(key)
        return found

    return scoped  # type: ignore[return-value]


@per_scope
def persons(viewer: Viewer | None) -> ColumnElement[bool]:
    if viewer is None:
        return false()
    match viewer.role:
        case Role.CITIZEN:
            return person_t.c.id == viewer.person_id
        case Role.OFFICER:
            return (
                true() if viewer.province_code is None else person_t.c.province_scope == viewer.province_code
            )
        case Role.ANALYST | Role.ADMIN:
            return true()
        case Role.PARTNER if viewer.facility_id is not None:
            return person_t.c.id.in_(
                select(visit_t.c.person_id).where(visit_t.c.facility_id == viewer.facility_id)
            )
        case Role.PARTNER if viewer.unit_id is not None:
            return person_t.c.id.in_(select(period_t.c.person_id).where(period_t.c.unit_id == viewer.unit_id))
    # A collection agent reads no person's record: it reaches households (below) only.
    return false()


def catchment(viewer: Viewer) -> ColumnElement[bool]:
    """The wards and communes where a collection agent collects, as a subquery of ward codes."""
    return select(catchment_t.c.ward_code).where(catchment_t.c.agent_id == viewer.agent_id)  # type: ignore[return-value]


@per_scope
def households(viewer: Viewer | None) -> ColumnElement[bool]:
    """Households: a citizen's own (as any member), officers' of their province, an agent's in its
    catchment, admins' all. Analysts (aggregates only) and hospitals and employers none."""
    if viewer is None:
        return false()
    match viewer.role:
        case Role.CITIZEN:
            return household_t.c.id.in_(
                select(household_member_t.c.household_id).where(
                    household_member_t.c.person_id == viewer.person_id
                )
            )
        case Role.OFFICER:
            return (
                true()
                if viewer.province_code is None
                else household_t.c.province_scope == viewer.province_code
            )
        case Role.ADMIN:
            return true()
        case Role.PARTNER if viewer.agent_id is not None:
            return household_t.c.ward_code.in_(catchment(viewer))
    return false()


def household_persons(viewer: Viewer) -> ColumnElement[bool]:
    """Whom a viewer may put into a household (createHousehold, addHouseholdMember): officers the
    persons of their province, an agent the people who live in its catchment."""
    if viewer.is_agent:
        return person_t.c.ward_code.in_(catchment(viewer))
    if viewer.role is Role.OFFICER:
        return persons(viewer)
    return false()


# The owner whose province decides a child row's scope: an alias of its own, so that the check
# stays a subquery even in a statement that joins `person` itself.
_owner = person_t.alias("scope_owner")


def _owned_by_scoped_person(viewer: Viewer, person_id_column: ColumnElement[int]) -> ColumnElement[bool]:
    if viewer.role is Role.CITIZEN:
        return person_id_column == viewer.person_id
    if viewer.role is Role.OFFICER and viewer.province_code is not None:
        # A probe of the owner by primary key per row read, not `IN (every person of the
        # province)`: SQLite materialised that list for each statement (a whole province's ids
        # to read five periods of a hundred people: 5-9 ms a statement at 20,000 people, growing
        # with the province, not with the page).
        return (
            exists()
            .where(_owner.c.id == person_id_column, _owner.c.province_scope == viewer.province_code)
            .correlate_except(_owner)
        )
    return true()


@per_scope
def periods(viewer: Viewer | None) -> ColumnElement[bool]:
    if viewer is None:
        return false()
    if viewer.role is Role.PARTNER:
        return period_t.c.unit_id == viewer.unit_id if viewer.unit_id is not None else false()
    return _owned_by_scoped_person(viewer, period_t.c.person_id)


@per_scope
def benefits(viewer: Viewer | None, person_id_column: ColumnElement[int]) -> ColumnElement[bool]:
    if viewer is None or viewer.role is Role.PARTNER:
        return false()
    return _owned_by_scoped_person(viewer, person_id_column)


@per_scope
def cards(viewer: Viewer | None) -> ColumnElement[bool]:
    """Cards in scope for listing. A hospital's card check (lookup by number) is separate."""
    if viewer is None:
        return false()
    if viewer.role is Role.PARTNER:
        if viewer.facility_id is None:
            return false()
        return card_t.c.person_id.in_(
            select(visit_t.c.person_id).where(visit_t.c.facility_id == viewer.facility_id)
        )
    return _owned_by_scoped_person(viewer, card_t.c.person_id)


@per_scope
def delegated_cards(viewer: Viewer | None) -> ColumnElement[bool]:
    """The cards a household head reads for the members who have not revoked it (delegated
    access, auth/policy.py HOUSEHOLD_HEAD)."""
    if viewer is None or viewer.role is not Role.CITIZEN:
        return false()
    return card_t.c.person_id.in_(
        select(household_member_t.c.person_id)
        .join(household_t, household_t.c.id == household_member_t.c.household_id)
        .where(
            household_t.c.head_person_id == viewer.person_id,
            household_member_t.c.delegation_revoked_at.is_(None),
        )
    )


@per_scope
def card_check(viewer: Viewer | None) -> ColumnElement[bool]:
    """healthInsuranceCard(number:): analysts cannot look people up, and a hospital finds its own
    patients' cards only (a number alone would name anyone); at the counter it checks coverage
    with what the patient presents (checkCoverage), which discloses nothing else."""
    if viewer is None or viewer.role is Role.ANALYST:
        return false()
    return cards(viewer)


@per_scope
def visits(viewer: Viewer | None) -> ColumnElement[bool]:
    if viewer is None:
        return false()
    match viewer.role:
        case Role.PARTNER:
            return visit_t.c.facility_id == viewer.facility_id if viewer.facility_id is not None else false()
        case Role.ADMIN if viewer.audited_admin:
            return true()
        case Role.ANALYST | Role.ADMIN:
            # Health data: aggregates only for analysts, an audited reason for operators.
            return false()
    return _owned_by_scoped_person(viewer, visit_t.c.person_id)


@per_scope
def claims(viewer: Viewer | None) -> ColumnElement[bool]:
    """Claims carry health data: the hospital that submitted them, the officers of its province
    (who review them), the patient; operators with an audited reason; analysts none."""
    if viewer is None:
        return false()
    match viewer.role:
        case Role.PARTNER:
            return claim_t.c.facility_id == viewer.facility_id if viewer.facility_id is not None else false()
        case Role.OFFICER:
            return true() if viewer.province_code is None else claim_t.c.province_code == viewer.province_code
        case Role.CITIZEN:
            return claim_t.c.person_id == viewer.person_id
        case Role.ADMIN if viewer.audited_admin:
            return true()
    return false()


@per_scope
def units(viewer: Viewer | None) -> ColumnElement[bool]:
    if viewer is None:
        return false()
    match viewer.role:
        case Role.OFFICER:
            return true() if viewer.province_code is None else unit_t.c.province_scope == viewer.province_code
        case Role.ANALYST | Role.ADMIN:
            return true()
        case Role.PARTNER:
            return unit_t.c.id == viewer.unit_id if viewer.unit_id is not None else false()
        case Role.CITIZEN:
            return unit_t.c.id.in_(select(period_t.c.unit_id).where(period_t.c.person_id == viewer.person_id))
    return false()


@per_scope
def registrations(viewer: Viewer | None) -> ColumnElement[bool]:
    if viewer is None:
        return false()
    match viewer.role:
        case Role.OFFICER:
            if viewer.province_code is None:
                return true()
            return registration_t.c.province_scope == viewer.province_code
        case Role.ADMIN:
            return true()
        case Role.CITIZEN:
            return registration_t.c.social_insurance_code == viewer.username
    return false()


# Which events a subscriber sees: exactly what it could query (privacy.md). Decided from the
# scope facts copied into the event row, before any per-subscriber database work.
_HEALTH = frozenset({"MEDICAL_VISIT_RECORDED"})
_REGISTRATION = frozenset({"REGISTRATION_SUBMITTED", "REGISTRATION_APPROVED", "REGISTRATION_REJECTED"})
# A claim's steps go to the submitting hospital and the officers of its province only: their
# province_code is the facility's (the patient follows their claim with the `claims` query).
CLAIM_EVENTS = frozenset({"CLAIM_SUBMITTED", "CLAIM_REVIEW_STARTED", "CLAIM_LINE_REVIEWED", "CLAIM_DECIDED"})
# A household's changes go to the head, the member concerned and the collection agents of its
# ward only, each by a row of its own (resolvers/household.py `_household_event`): person_id the
# head or the member, or agent_id the agent. Officers, analysts, admins and other partners never.
HOUSEHOLD_EVENTS = frozenset(
    {
        "HOUSEHOLD_MEMBER_ADDED",
        "HOUSEHOLD_MEMBER_REMOVED",
        "HOUSEHOLD_PAYMENT_RECORDED",
        "HOUSEHOLD_DELEGATION_REVOKED",
        "HOUSEHOLD_DELEGATION_RESTORED",
    }
)


def event_visible(viewer: Viewer, event: Any) -> bool:
    kind = event.type
    if kind in HOUSEHOLD_EVENTS:
        if viewer.role is Role.CITIZEN:
            return event.person_id is not None and event.person_id == viewer.person_id
        return viewer.is_agent and event.agent_id == viewer.agent_id
    match viewer.role:
        case Role.ADMIN:
            return kind not in _HEALTH and kind not in CLAIM_EVENTS
        case Role.OFFICER:
            return viewer.province_code is None or event.province_code == viewer.province_code
        case Role.ANALYST:
            return kind not in _HEALTH and kind not in _REGISTRATION and kind not in CLAIM_EVENTS
        case Role.CITIZEN:
            return (
                kind not in CLAIM_EVENTS
                and event.person_id is not None
                and event.person_id == viewer.person_id
            )
        case Role.PARTNER if viewer.facility_id is not None:
            return (kind in _HEALTH or kind in CLAIM_EVENTS) and event.facility_id == viewer.facility_id
        case Role.PARTNER if viewer.unit_id is not None:
            return kind == "CONTRIBUTION_RECORDED" and event.unit_id == viewer.unit_id
    return False


def scope_key(viewer: Viewer | None) -> str:
    """The facts every row scope above is decided from: two viewers with the same key see the
    same rows. What a cursor of a scoped list is bound to (resolvers/pagination.py)."""
    if viewer is None:
        return "anonymous"
    return "|".join(
        str(part) if part is not None else ""
        for part in (
            viewer.role.value,
            viewer.person_id,
            viewer.province_code,
            viewer.facility_id,
            viewer.unit_id,
            viewer.agent_id,
            "audited" if viewer.audited_admin else None,
        )
    )
