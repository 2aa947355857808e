"""`node(id:)`: every Node type fetched through the same row scope as its lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, select, true

from auth import scopes
from auth.viewer import Viewer
from models.tables import (
    agent_t,
    benefit_t,
    card_t,
    claim_t,
    facility_t,
    faq_t,
    household_t,
    news_t,
    office_t,
    period_t,
    person_t,
    registration_t,
    unit_t,
    visit_t,
)
from resolvers.claim import claims_select
from resolvers.context import Context
from resolvers.loaders import benefits_with_owner, cards_with_owner, periods_with_owner, visits_with_owner

Fetch = tuple[Callable[[], Select[Any]], ColumnElement[int], Callable[[Viewer | None], ColumnElement[bool]]]

FETCHERS: dict[str, Fetch] = {
    "Person": (lambda: select(person_t), person_t.c.id, scopes.persons),
    "Unit": (lambda: select(unit_t), unit_t.c.id, scopes.units),
    "ContributionPeriod": (periods_with_owner, period_t.c.id, scopes.periods),
    "HealthInsuranceCard": (cards_with_owner, card_t.c.id, scopes.cards),
    "MedicalVisit": (visits_with_owner, visit_t.c.id, scopes.visits),
    "Benefit": (benefits_with_owner, benefit_t.c.id, lambda v: scopes.benefits(v, benefit_t.c.person_id)),
    "Claim": (claims_select, claim_t.c.id, scopes.claims),
    "Registration": (lambda: select(registration_t), registration_t.c.id, scopes.registrations),
    "Office": (lambda: select(office_t), office_t.c.id, lambda v: true()),
    "HealthFacility": (lambda: select(facility_t), facility_t.c.id, lambda v: true()),
    "CollectionAgent": (lambda: select(agent_t), agent_t.c.id, lambda v: true()),
    "Faq": (lambda: select(faq_t), faq_t.c.id, lambda v: true()),
    "NewsArticle": (lambda: select(news_t), news_t.c.id, lambda v: true()),
    "Household": (lambda: select(household_t), household_t.c.id, scopes.households),
}


async def node_row(context: Context, type_name: str, pk: int) -> Any | None:
    """The row, or None when it does not exist or is out of the viewer's scope (the same answer)."""
    fetch = FETCHERS.get(type_name)
    if fetch is None:
        return None
    base, key, scope = fetch
    return (await context.session.execute(base().where(key == pk, scope(context.viewer)))).first()
