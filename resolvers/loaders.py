"""DataLoaders, made per request: a request's statement count depends on its shape only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, Table, and_, bindparam, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import True_
from strawberry.dataloader import DataLoader

from auth import policy, scopes
from auth.viewer import Viewer
from models.statements import ids_in, run
from models.tables import (
    access_log_t,
    admin_unit_t,
    agent_t,
    benefit_t,
    card_t,
    facility_t,
    household_member_t,
    household_payment_t,
    household_t,
    office_t,
    period_t,
    person_t,
    revision_t,
    unit_member_t,
    unit_t,
    visit_t,
)
from models.types import from_month_index, month_index
from resolvers.children import ChildList, Children
from resolvers.pagination import Ordering

OWNER_PROVINCE = person_t.c.province_scope.label("owner_province")

PERSON_ORDER = Ordering("person", (person_t.c.social_insurance_code,), kinds=("str",))
# For those who read codes masked (analysts): the order of the code would tell what the mask hides.
PERSON_ORDER_DEIDENTIFIED = Ordering("person-deidentified", (person_t.c.id,), kinds=("int",))
# The same order over a unit's roster, whose copy of the code is what its index sorts.
ROSTER_ORDER = Ordering("unit-employee", (unit_member_t.c.social_insurance_code,), kinds=("str",))
# For those who read codes masked (analysts), by the roster's primary key (unit, person) instead.
ROSTER_ORDER_DEIDENTIFIED = Ordering("unit-employee-deidentified", (person_t.c.id,), kinds=("int",))


def roster_order(viewer: Viewer | None) -> Ordering:
    return ROSTER_ORDER if policy.sorts_by_code(viewer) else ROSTER_ORDER_DEIDENTIFIED


PERIOD_ORDER = Ordering(
    "period", (period_t.c.from_month, period_t.c.id), descending=True, kinds=("int", "int")
)
BENEFIT_ORDER = Ordering(
    "benefit", (benefit_t.c.decided_on, benefit_t.c.id), descending=True, kinds=("date", "int")
)
VISIT_ORDER = Ordering(
    "visit", (visit_t.c.admitted_at, visit_t.c.id), descending=True, kinds=("datetime", "int")
)
ACCESS_LOG_ORDER = Ordering(
    "access", (access_log_t.c.at, access_log_t.c.id), descending=True, kinds=("datetime", "int")
)


def periods_with_owner() -> Select[Any]:
    return select(period_t, OWNER_PROVINCE).join(person_t, person_t.c.id == period_t.c.person_id)


def benefits_with_owner() -> Select[Any]:
    return select(benefit_t, OWNER_PROVINCE).join(person_t, person_t.c.id == benefit_t.c.person_id)


def visits_with_owner() -> Select[Any]:
    return select(visit_t, OWNER_PROVINCE).join(person_t, person_t.c.id == visit_t.c.person_id)


def cards_with_owner() -> Select[Any]:
    return select(card_t, OWNER_PROVINCE).join(person_t, person_t.c.id == card_t.c.person_id)


def employees() -> Select[Any]:
    """Who worked at units, from the rosters: in code order straight off their index."""
    return select(person_t, unit_member_t.c.unit_id).join(
        unit_member_t, unit_member_t.c.person_id == person_t.c.id
    )


def roster_pages(spec: ChildList, conditions: Sequence[ColumnElement[Any]]) -> Select[Any]:
    """Every unit's page of employees on PostgreSQL: the roster's index read per unit up to the
    page's end, each roster row checked against the person's scope (and the cursor) by its key,
    and only the rows of the pages joined to the people. Joining the people inside the LATERAL
    lets the planner hash the whole person table once per unit."""
    from resolvers.children import parents_of

    parents = parents_of()
    # The roster's own columns for the people's: the code is copied there, the id is the key.
    by_key = {person_t.c.id: unit_member_t.c.person_id}
    order = [by_key.get(c, c) for c in spec.ordering.columns]  # type: ignore[call-overload]
    roster = select(unit_member_t.c.unit_id, unit_member_t.c.person_id, *order).where(
        unit_member_t.c.unit_id == parents.c.parent_id
    )
    checks = [c for c in conditions if not isinstance(c, True_)]
    if checks:
        # A scalar subquery per roster row (by the person's primary key): never a hash join.
        check = (
            select(and_(*checks))
            .where(person_t.c.id == unit_member_t.c.person_id)
            .correlate(unit_member_t)
            .scalar_subquery()
        )
        roster = roster.where(check)
    direction = (lambda c: c.desc()) if spec.ordering.descending else (lambda c: c.asc())
    page = roster.order_by(*map(direction, order)).limit(bindparam("page_limit")).lateral("page")
    return (
        select(person_t, page.c.unit_id)
        .select_from(parents)
        .join(page, true())
        .join(person_t, person_t.c.id == page.c.person_id)
        .order_by(page.c.unit_id, *(direction(page.c[c.key]) for c in order))
    )


def _by_key(session: AsyncSession, table: Table, column: str) -> DataLoader[Hashable, Any | None]:
    codes = not isinstance(table.c[column].type, Integer)
    key = ("by_key", table.name, column)

    def build(_: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return select(table).where(ids_in(table.c[column], codes=codes))

    async def load(keys: list[Hashable]) -> list[Any | None]:
        rows = await run(session, key, (), build, {"ids": list(set(keys))})
        found = {getattr(row, column): row for row in rows}
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


async def _grouped(
    session: AsyncSession, statement: Select[Any], key: str, keys: Sequence[int]
) -> list[list[Any]]:
    """The rows of one statement as a list per key, in the keys' order (an empty list for none)."""
    found: dict[int, list[Any]] = defaultdict(list)
    for row in (await session.execute(statement)).all():
        found[getattr(row, key)].append(row)
    return [found.get(k, []) for k in keys]


class Loaders:
    """Every relation of the schema, batched. Child lists carry the viewer's row scope.

    Each loader is made on first use: a request (or a subscription event) pays only for the
    relations it follows.
    """

    def __init__(self, session: AsyncSession, viewer: Viewer | None) -> None:
        self.session = session
        self.viewer = viewer

    @cached_property
    def persons_by_id(self) -> DataLoader[Hashable, Any | None]:
        return _by_key(self.session, person_t, "id")

    @cached_property
    def persons_by_code(self) -> DataLoader[Hashable, Any | None]:
        return _by_key(self.session, person_t, "social_insurance_code")

    @cached_property
    def units_by_id(self) -> DataLoader[Hashable, Any | None]:
        return _by_key(self.session, unit_t, "id")

    @cached_property
    def facilities_by_id(self) -> DataLoader[Hashable, Any | None]:
        return _by_key(self.session, facility_t, "id")

    @cached_property
    def offices_by_id(self) -> DataLoader[Hashable, Any | None]:
        return _by_key(self.session, office_t, "id")

    @cached_property
    def admin_units_by_code(self) -> DataLoader[tuple[str, str], Any | None]:
        return DataLoader(load_fn=self._admin_units)

    @cached_property
    def revisions_by_subject(self) -> DataLoader[tuple[str, int], list[Any]]:
        """Corrections of records, oldest first: one statement for every record of a request."""

        async def load(keys: list[tuple[str, int]]) -> list[list[Any]]:
            found: dict[tuple[str, int], list[Any]] = defaultdict(list)
            for kind in {k for k, _ in keys}:
                ids = {i for k, i in keys if k == kind}
                rows = await self.session.execute(
                    select(revision_t)
                    .where(revision_t.c.subject_type == kind, revision_t.c.subject_id.in_(ids))
                    .order_by(revision_t.c.subject_id, revision_t.c.id)
                )
                for row in rows.all():
                    found[(kind, row.subject_id)].append(row)
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def visits_by_id(self) -> DataLoader[int, Any | None]:
        """Visits by id under the viewer's row scope (a claim's visit: null outside it)."""
        scope = scopes.visits(self.viewer)

        def build(parts: Sequence[ColumnElement[Any]]) -> Select[Any]:
            return visits_with_owner().where(ids_in(visit_t.c.id), *parts)

        async def load(keys: list[int]) -> list[Any | None]:
            rows = await run(self.session, "visits_by_id", [scope], build, {"ids": list(set(keys))})
            found = {row.id: row for row in rows}
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def claim_lines_by_claim(self) -> DataLoader[int, list[Any]]:
        """Every line of each claim, in order: one statement for all the claims of a request (the
        claims themselves came through their row scope)."""
        from resolvers.claim import lines_select  # the claim's own query; it imports this module

        async def load(keys: list[int]) -> list[list[Any]]:
            return await _grouped(self.session, lines_select(sorted(set(keys))), "claim_id", keys)

        return DataLoader(load_fn=load)

    @cached_property
    def cards_by_person(self) -> DataLoader[int, Any | None]:
        return DataLoader(load_fn=self._current_cards)

    @cached_property
    def delegated_cards_by_person(self) -> DataLoader[int, Any | None]:
        """The card in force of members whose household head the viewer is, while delegated."""
        return DataLoader(load_fn=lambda ids: self._current_cards(ids, scopes.delegated_cards(self.viewer)))

    @cached_property
    def members_by_household(self) -> DataLoader[int, list[Any]]:
        """A household's members in order, with the identity columns and the head: one statement
        for every household of a request (the households were reached through their row scope)."""

        async def load(keys: list[int]) -> list[list[Any]]:
            statement = (
                select(
                    household_member_t,
                    person_t.c.full_name,
                    person_t.c.social_insurance_code,
                    OWNER_PROVINCE,
                    household_t.c.head_person_id,
                )
                .join(person_t, person_t.c.id == household_member_t.c.person_id)
                .join(household_t, household_t.c.id == household_member_t.c.household_id)
                .where(household_member_t.c.household_id.in_(set(keys)))
                .order_by(household_member_t.c.household_id, household_member_t.c.position)
            )
            return await _grouped(self.session, statement, "household_id", keys)

        return DataLoader(load_fn=load)

    @cached_property
    def payments_by_household(self) -> DataLoader[int, list[Any]]:
        """A household's payments, newest first, with the agent's code: one statement."""

        async def load(keys: list[int]) -> list[list[Any]]:
            statement = (
                select(household_payment_t, agent_t.c.code.label("agent_code"))
                .join(agent_t, agent_t.c.id == household_payment_t.c.agent_id)
                .where(household_payment_t.c.household_id.in_(set(keys)))
                .order_by(
                    household_payment_t.c.household_id,
                    household_payment_t.c.paid_on.desc(),
                    household_payment_t.c.id.desc(),
                )
            )
            return await _grouped(self.session, statement, "household_id", keys)

        return DataLoader(load_fn=load)

    @cached_property
    def participation_by_person(self) -> DataLoader[tuple[int, str], Participation | None]:
        return DataLoader(load_fn=self._participation)

    @cached_property
    def periods_by_person(self) -> Children:
        return Children.of(
            self.session,
            ChildList(
                "periods_by_person",
                periods_with_owner,
                period_t.c.person_id,
                "person_id",
                PERIOD_ORDER,
                scopes.periods(self.viewer),
                (period_t.c.insurance_type,),
            ),
        )

    @cached_property
    def periods_by_unit(self) -> Children:
        return Children.of(
            self.session,
            ChildList(
                "periods_by_unit",
                periods_with_owner,
                period_t.c.unit_id,
                "unit_id",
                PERIOD_ORDER,
                scopes.periods(self.viewer),
                (period_t.c.insurance_type,),
            ),
        )

    @cached_property
    def benefits_by_person(self) -> Children:
        return Children.of(
            self.session,
            ChildList(
                "benefits_by_person",
                benefits_with_owner,
                benefit_t.c.person_id,
                "person_id",
                BENEFIT_ORDER,
                scopes.benefits(self.viewer, benefit_t.c.person_id),
                (benefit_t.c.regime,),
            ),
        )

    @cached_property
    def visits_by_person(self) -> Children:
        return Children.of(
            self.session,
            ChildList(
                "visits_by_person",
                visits_with_owner,
                visit_t.c.person_id,
                "person_id",
                VISIT_ORDER,
                scopes.visits(self.viewer),
                (visit_t.c.year,),
            ),
        )

    @cached_property
    def access_log_by_person(self) -> Children:
        return Children.of(
            self.session,
            ChildList(
                "access_log_by_person",
                lambda: select(access_log_t),
                access_log_t.c.person_id,
                "person_id",
                ACCESS_LOG_ORDER,
                true(),
            ),
        )

    @cached_property
    def employees_by_unit(self) -> Children:
        return Children.of(
            self.session,
            ChildList(
                "employees_by_unit",
                employees,
                unit_member_t.c.unit_id,
                "unit_id",
                roster_order(self.viewer),
                scopes.persons(self.viewer),
                many=True,
                lateral=roster_pages,
            ),
        )

    async def _admin_units(self, keys: list[tuple[str, str]]) -> list[Any | None]:
        """Administrative units by (scheme, code)."""
        statement = select(admin_unit_t).where(
            tuple_(admin_unit_t.c.scheme, admin_unit_t.c.code).in_(set(keys))
        )
        found = {(row.scheme, row.code): row for row in (await self.session.execute(statement)).all()}
        return [found.get(key) for key in keys]

    async def _current_cards(
        self, person_ids: list[int], scope: ColumnElement[bool] | None = None
    ) -> list[Any | None]:
        """The card in force for each person: the one with the latest validFrom."""
        scope = scopes.cards(self.viewer) if scope is None else scope
        values = {"ids": list(set(person_ids))}
        latest: dict[int, Any] = {}
        for row in await run(self.session, "current_cards", [scope], _current_cards, values):
            latest[row.person_id] = row  # ordered ascending: the last one wins
        return [latest.get(pid) for pid in person_ids]

    async def _participation(self, keys: list[tuple[int, str]]) -> list[Participation | None]:
        """Merged month spans per (person, insurance type): overlaps once, gaps not at all."""
        values = {"ids": list({pid for pid, _ in keys}), "types": sorted({t for _, t in keys})}
        scope = scopes.periods(self.viewer)
        spans: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
        for person_id, insurance_type, start, end in await run(
            self.session, "participation", [scope], _participation, values
        ):
            spans[(person_id, insurance_type)].append((month_index(start), month_index(end)))
        return [summarize(spans[key]) if key in spans else None for key in keys]

    @cached_property
    def payment_lines_by_payment(self) -> DataLoader[int, list[Any]]:
        """A household payment's per-member lines in the scale's order, with each member's
        identity, the head, and the member's delegation (null member_id: the member left since):
        one statement for every payment of a request (reached through their household's scope)."""
        from sqlalchemy import and_

        from models.tables import household_payment_line_t as line_t

        async def load(keys: list[int]) -> list[list[Any]]:
            member = household_member_t
            statement = (
                select(
                    line_t,
                    person_t.c.full_name,
                    person_t.c.social_insurance_code,
                    OWNER_PROVINCE,
                    household_t.c.head_person_id,
                    member.c.id.label("member_id"),
                    member.c.delegation_revoked_at,
                )
                .join(household_payment_t, household_payment_t.c.id == line_t.c.payment_id)
                .join(household_t, household_t.c.id == household_payment_t.c.household_id)
                .join(person_t, person_t.c.id == line_t.c.person_id)
                .outerjoin(
                    member,
                    and_(member.c.person_id == line_t.c.person_id, member.c.household_id == household_t.c.id),
                )
                .where(line_t.c.payment_id.in_(set(keys)))
                .order_by(line_t.c.payment_id, line_t.c.rank)
            )
            return await _grouped(self.session, statement, "payment_id", keys)

        return DataLoader(load_fn=load)


def _current_cards(scope: Sequence[ColumnElement[Any]]) -> Select[Any]:
    return (
        cards_with_owner()
        .where(ids_in(card_t.c.person_id), *scope)
        .order_by(card_t.c.person_id, card_t.c.valid_from, card_t.c.id)
    )


def _participation(scope: Sequence[ColumnElement[Any]]) -> Select[Any]:
    return (
        select(period_t.c.person_id, period_t.c.insurance_type, period_t.c.from_month, period_t.c.to_month)
        .where(
            ids_in(period_t.c.person_id),
            ids_in(period_t.c.insurance_type, "types", codes=True),
            period_t.c.voided.is_(False),
            *scope,
        )
        .order_by(period_t.c.person_id, period_t.c.insurance_type, period_t.c.from_month)
    )


@dataclass(frozen=True, slots=True)
class Participation:
    total_months: int
    first_month: int  # YYYYMM
    last_month: int


def summarize(spans: Sequence[tuple[int, int]]) -> Participation:
    """Inclusive month-index spans, totalled: overlaps count once, gaps not at all."""
    total = 0
    reach = -1  # the last month index already counted
    ordered = sorted(spans)
    for start, end in ordered:
        if end > reach:
            total += end - max(start, reach + 1) + 1
            reach = end
    return Participation(
        total_months=total,
        first_month=from_month_index(ordered[0][0]),
        last_month=from_month_index(max(end for _, end in ordered)),
    )
