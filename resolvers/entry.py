"""Data entry by officers and partner hospitals: units, contribution periods, cards, visits, benefits.

Each mutation is one transaction: the change, its event row (the subscription feed) and its audit
row commit together or not at all. Checks report every problem at once; a record outside the
officer's province looks exactly like one that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.viewer import Role, Viewer
from models import rollup, rules
from models.benefit import BENEFIT_REGIMES
from models.tables import (
    benefit_t,
    card_t,
    facility_t,
    office_t,
    period_t,
    person_t,
    unit_member_t,
    unit_t,
    visit_t,
)
from models.text import fold, normalize_name
from models.types import VIETNAM_TZ, to_year_month
from resolvers.card import CARD_NUMBER
from resolvers.context import Context, require_viewer
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import benefits_with_owner, cards_with_owner, periods_with_owner, visits_with_owner
from resolvers.outcomes import Invalid, Problem, Problems, Refused
from resolvers.registration import AddressValue, CheckedAddress, check_address, check_text, vietnam_today
from resolvers.unit import TAX_CODE
from seed.reference import PROVINCES

Path_ = tuple[str, ...]
INPUT: Path_ = ("input",)
# Minimum-wage region (Decree 74/2024/NĐ-CP) by 2004 province: of the provincial capital, so a
# unit in an outlying district of a region-I province is held to region I (unconfirmed: the
# decree goes by district; the unit's district is not mapped here).
WAGE_REGION: dict[str, int] = {p.code: p.wage_region for p in PROVINCES}
DEFAULT_WAGE_REGION = 4  # the lowest floor: never refuses a lawful salary for want of a mapping
UNIT_CODE = re.compile(r"^\d{2}[A-Z0-9]{1,14}$")
# ICD-10: a letter, two digits (or digit + letter for a few chapters' extensions), an optional
# sub-code after a dot ("J18.9", "A09", "U07.1").
ICD10 = re.compile(r"^[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?$")
# The occupational-accident fund is shown apart from BHXH from 2016-07 (Law 84/2015/QH13).
OCCUPATIONAL_ACCIDENT_START = 201607
MONEY_MAX = Decimal("10000000000000")  # 10^13 VND: far beyond any record, within the column
COEFFICIENT_MAX = Decimal(20)


@dataclass(frozen=True, slots=True)
class Saved:
    """The row written, with the columns the read side selects for it (owner_province ...)."""

    row: Any


Outcome = Saved | Invalid | Refused


# ---------- who may do it ----------


def _covers(viewer: Viewer, province: str) -> bool:
    return viewer.province_code is None or viewer.province_code == province


def _officer(viewer: Viewer, what: str) -> Refused | None:
    if viewer.role is not Role.OFFICER:
        return Refused(f"Only BHXH officers {what}.")
    return None


async def _person_in_scope(
    session: AsyncSession, viewer: Viewer | None, problems: Problems, path: Path_, code: str
) -> Any | None:
    """The person by code, in the viewer's row scope (None: unscoped); else a NOT_FOUND problem,
    the same whether the person does not exist or is outside the scope."""
    code = code.strip()
    if not re.fullmatch(r"\d{10}", code):
        problems.add(path, "FORMAT", "A social-insurance code is exactly 10 digits.")
        return None
    statement = select(person_t).where(person_t.c.social_insurance_code == code)
    if viewer is not None:  # None: any person (a hospital treats patients from anywhere)
        statement = statement.where(scopes.persons(viewer))
    row = (await session.execute(statement)).first()
    if row is None:
        problems.add(path, "NOT_FOUND", f"No insured person with the code {code} in your scope.")
    return row


# ---------- value checks ----------


def _money(
    problems: Problems, path: Path_, value: Decimal | None, label: str, *, required: bool = True
) -> Decimal | None:
    if value is None:
        if required:
            problems.add(path, "REQUIRED", f"{label} is required.")
        return None
    if not value.is_finite():
        problems.add(path, "FORMAT", f"{label} must be a number.")
    elif value < 0:
        problems.add(path, "NEGATIVE", f"{label} cannot be negative.")
    elif value.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add(path, "PRECISION", f"{label} has at most 2 decimal places.")
    elif value > MONEY_MAX:
        problems.add(path, "TOO_LARGE", f"{label} is too large.")
    else:
        return value
    return None


def _not_future_date(problems: Problems, path: Path_, value: date | None, label: str) -> None:
    today = vietnam_today()
    if value is not None and value > today:
        problems.add(path, "IN_THE_FUTURE", f"{label} cannot be after today ({today.isoformat()}).")


def _aware(value: datetime) -> datetime:
    """A time without an offset is taken as Vietnam time (UTC+7)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM_TZ)


def _current_month() -> int:
    today = vietnam_today()
    return today.year * 100 + today.month


async def _office_id(session: AsyncSession, problems: Problems, path: Path_, code: str | None) -> int | None:
    if code is None or not code.strip():
        return None
    found = (await session.execute(select(office_t.c.id).where(office_t.c.code == code.strip()))).scalar()
    if found is None:
        problems.add(path, "NOT_FOUND", f"No BHXH office has the code {code.strip()!r}.")
    return found


async def _add_member(session: AsyncSession, unit_id: int, person_id: int, code: str) -> None:
    """The unit's roster row, if missing; concurrent writers of the same row are fine."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    values = {"unit_id": unit_id, "person_id": person_id, "social_insurance_code": code}
    if dialect == "postgresql":
        await session.execute(postgresql.insert(unit_member_t).values(**values).on_conflict_do_nothing())
    else:
        await session.execute(sqlite.insert(unit_member_t).values(**values).on_conflict_do_nothing())


async def _one(session: AsyncSession, statement: Select[Any]) -> Any:
    return (await session.execute(statement)).one()


# ---------- units ----------


@dataclass(frozen=True, slots=True)
class UnitData:
    code: str | None = None
    name: str | None = None
    tax_code: str | None = None
    address: AddressValue | None = None


def _unit_roles(viewer: Viewer) -> Refused | None:
    if viewer.role not in (Role.OFFICER, Role.ADMIN):
        return Refused("Only BHXH officers (in their province) and administrators manage units.")
    return None


def _tax_code(problems: Problems, value: str | None) -> str | None:
    tax = value.strip() if value is not None else None
    if tax and not TAX_CODE.match(tax):
        problems.add(
            (*INPUT, "taxCode"), "FORMAT", "A tax code is 10 digits, or 10 digits, a dash and 3 digits."
        )
    return tax or None


def _unit_address_in_scope(viewer: Viewer, address: CheckedAddress) -> Refused | None:
    if viewer.role is Role.OFFICER and not _covers(viewer, address.province_scope):
        return Refused(f"Your office manages units of province {viewer.province_code} only.")
    return None


async def create_unit(context: Context, data: UnitData) -> Outcome:
    viewer = require_viewer(context)
    refused = _unit_roles(viewer)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    code = (data.code or "").strip().upper()
    if not UNIT_CODE.match(code):
        problems.add(
            (*INPUT, "code"),
            "FORMAT",
            'A unit code is the 2-digit province code and 1 to 14 letters or digits, such as "01A0001".',
        )
    name = check_text(problems, (*INPUT, "name"), data.name, "The name", 200, required=True)
    tax_code = _tax_code(problems, data.tax_code)
    assert data.address is not None
    address = await check_address(context, problems, (*INPUT, "address"), data.address)
    if address is not None:
        refused = _unit_address_in_scope(viewer, address)
        if refused is not None:
            return refused
        if UNIT_CODE.match(code) and code[:2] != address.province_scope:
            problems.add(
                (*INPUT, "code"),
                "PROVINCE_MISMATCH",
                f"The code of a unit in province {address.province_scope} starts with {address.province_scope}.",
            )
    if (
        UNIT_CODE.match(code)
        and (await session.execute(select(unit_t.c.id).where(unit_t.c.code == code))).first()
    ):
        problems.add((*INPUT, "code"), "DUPLICATE", f"A unit with the code {code} exists already.")
    if problems or name is None or address is None:
        return Invalid(problems.items)
    name = normalize_name(name)
    try:
        inserted = await session.execute(
            insert(unit_t).values(
                code=code,
                name=name,
                search_name=fold(name),
                tax_code=tax_code,
                province_scope=address.province_scope,
                **address.columns(),
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [Problem((*INPUT, "code"), "DUPLICATE", f"A unit with the code {code} exists already.")]
        )
    unit_id = inserted_id(inserted)
    # Units have no event type in the contract's feed: the audit trail records them.
    await audit(session, viewer, "createUnit", "Unit", unit_id, {"code": code, "name": name})
    await session.commit()
    return Saved(await _one(session, select(unit_t).where(unit_t.c.id == unit_id)))


async def update_unit(context: Context, code: str, data: UnitData) -> Outcome:
    viewer = require_viewer(context)
    refused = _unit_roles(viewer)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    unit = (
        await session.execute(
            select(unit_t).where(unit_t.c.code == code.strip().upper(), scopes.units(viewer))
        )
    ).first()
    if unit is None:
        return Invalid(
            [Problem((*INPUT, "code"), "NOT_FOUND", f"No unit with the code {code!r} in your scope.")]
        )
    changes: dict[str, Any] = {}
    if data.name is not None:
        name = check_text(problems, (*INPUT, "name"), data.name, "The name", 200, required=True)
        if name is not None:
            changes.update(name=normalize_name(name), search_name=fold(name))
    if data.tax_code is not None:
        changes["tax_code"] = _tax_code(problems, data.tax_code)
    if data.address is not None:
        address = await check_address(context, problems, (*INPUT, "address"), data.address)
        if address is not None:
            refused = _unit_address_in_scope(viewer, address)
            if refused is not None:
                return refused
            changes.update(province_scope=address.province_scope, **address.columns())
    if not problems and not changes:
        problems.add(INPUT, "NOTHING_TO_CHANGE", "Give at least one of name, taxCode, address.")
    if problems:
        return Invalid(problems.items)
    await session.execute(update(unit_t).where(unit_t.c.id == unit.id).values(**changes))
    await audit(
        session, viewer, "updateUnit", "Unit", unit.id, {"code": unit.code, "changed": sorted(changes)}
    )
    await session.commit()
    return Saved(await _one(session, select(unit_t).where(unit_t.c.id == unit.id)))


# ---------- contribution periods ----------


@dataclass(frozen=True, slots=True)
class PeriodData:
    social_insurance_code: str
    unit_code: str
    insurance_type: str
    from_month: int
    to_month: int
    salary: Decimal
    salary_coefficient: Decimal | None = None
    occupation: str | None = None
    workplace: str | None = None


async def record_contribution_period(context: Context, data: PeriodData) -> Outcome:
    viewer = require_viewer(context)
    refused = _officer(viewer, "of the person's province record contribution periods")
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    person = await _person_in_scope(
        session, viewer, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    unit = (
        await session.execute(select(unit_t).where(unit_t.c.code == data.unit_code.strip().upper()))
    ).first()
    if unit is None:
        problems.add((*INPUT, "unitCode"), "NOT_FOUND", f"No unit has the code {data.unit_code!r}.")
    start, end = data.from_month, data.to_month
    current = _current_month()
    if start > end:
        problems.add((*INPUT, "toMonth"), "BEFORE_FROM", "toMonth cannot be before fromMonth.")
    if end > current:
        problems.add(
            (*INPUT, "toMonth"),
            "IN_THE_FUTURE",
            f"A period cannot reach past this month ({to_year_month(current)}).",
        )
    if data.insurance_type == "UNEMPLOYMENT" and start < rules.BHTN_START:
        problems.add(
            (*INPUT, "fromMonth"),
            "BEFORE_BHTN",
            "Unemployment insurance (BHTN) exists from 2009-01: no BHTN period before that month.",
        )
    if data.insurance_type == "OCCUPATIONAL_ACCIDENT" and start < OCCUPATIONAL_ACCIDENT_START:
        problems.add(
            (*INPUT, "fromMonth"),
            "BEFORE_TNLD",
            "The occupational-accident fund (TNLĐ-BNN) is recorded apart from 2016-07; earlier months are SOCIAL.",
        )
    coefficient = data.salary_coefficient
    if coefficient is not None and (not coefficient.is_finite() or not 0 < coefficient <= COEFFICIENT_MAX):
        problems.add(
            (*INPUT, "salaryCoefficient"), "OUT_OF_RANGE", "A salary coefficient is above 0 and at most 20."
        )
        coefficient = None
    elif coefficient is not None and coefficient.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add(
            (*INPUT, "salaryCoefficient"), "PRECISION", "A salary coefficient has at most 2 decimal places."
        )
    salary = _money(problems, (*INPUT, "salary"), data.salary, "The salary")
    if salary is not None and unit is not None:
        region = WAGE_REGION.get(unit.province_scope, DEFAULT_WAGE_REGION)
        # State-sector salaries are a coefficient x the base salary: the coefficient says which.
        floor, cap = rules.salary_bounds(start, region, state_sector=data.salary_coefficient is not None)
        if not floor <= salary <= cap:
            problems.add(
                (*INPUT, "salary"),
                "OUT_OF_RANGE",
                f"In {to_year_month(start)} a contribution salary is between {floor:,.0f} and {cap:,.0f} VND "
                f"(region {region}).",
            )
    occupation = check_text(
        problems, (*INPUT, "occupation"), data.occupation, "The occupation", 200, required=False
    )
    workplace = check_text(
        problems, (*INPUT, "workplace"), data.workplace, "The workplace", 200, required=False
    )
    exact = {
        "insurance_type": data.insurance_type,
        "from_month": start,
        "to_month": end,
    }
    duplicate = Problem(
        (*INPUT, "fromMonth"),
        "DUPLICATE",
        "This person already has exactly this period at this unit for this insurance.",
    )
    if person is not None and unit is not None:
        same = await session.execute(
            select(period_t.c.id).where(
                period_t.c.person_id == person.id,
                period_t.c.unit_id == unit.id,
                *(period_t.c[k] == v for k, v in exact.items()),
            )
        )
        if same.first() is not None:
            problems.items.append(duplicate)
    if problems or person is None or unit is None or salary is None:
        return Invalid(problems.items)
    try:
        inserted = await session.execute(
            insert(period_t).values(
                person_id=person.id,
                unit_id=unit.id,
                occupation=occupation,
                workplace=workplace,
                currency="VND",
                salary=salary,
                salary_coefficient=coefficient,
                **exact,
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid([duplicate])
    period_id = inserted_id(inserted)
    await _add_member(session, unit.id, person.id, person.social_insurance_code)
    # The statistics' rollup, in the same transaction (models/rollup.py).
    await rollup.period_recorded(session, person.id, period_id)
    await record_event(
        session,
        "CONTRIBUTION_RECORDED",
        "ContributionPeriod",
        period_id,
        person_id=person.id,
        province_code=person.province_scope,
        unit_id=unit.id,
    )
    await audit(
        session,
        viewer,
        "recordContributionPeriod",
        "ContributionPeriod",
        period_id,
        {
            "person": person.social_insurance_code,
            "unit": unit.code,
            "insuranceType": data.insurance_type,
            "from": to_year_month(start),
            "to": to_year_month(end),
        },
    )
    await session.commit()
    events_committed(context)
    return Saved(await _one(session, periods_with_owner().where(period_t.c.id == period_id)))


# ---------- health-insurance cards ----------


@dataclass(frozen=True, slots=True)
class CardData:
    social_insurance_code: str
    beneficiary_group: str
    valid_from: date
    primary_care_facility_code: str
    valid_to: date | None = None
    five_years_continuous_from: date | None = None


CARD_OFFICERS = "of the holder's province issue and change health-insurance cards"


async def issue_card(context: Context, data: CardData) -> Outcome:
    viewer = require_viewer(context)
    refused = _officer(viewer, CARD_OFFICERS)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    person = await _person_in_scope(
        session, viewer, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    group = data.beneficiary_group.strip().upper()
    if group not in rules.BENEFICIARY_GROUPS:
        problems.add(
            (*INPUT, "beneficiaryGroup"),
            "UNKNOWN_GROUP",
            f"{group!r} is not a beneficiary group (mã đối tượng) such as DN, HC, HT, TE, GD.",
        )
    if data.valid_to is not None and data.valid_to < data.valid_from:
        problems.add((*INPUT, "validTo"), "BEFORE_FROM", "validTo cannot be before validFrom.")
    facility = (
        await session.execute(
            select(facility_t.c.id, facility_t.c.accepts_health_insurance).where(
                facility_t.c.code == data.primary_care_facility_code.strip().upper()
            )
        )
    ).first()
    if facility is None:
        problems.add(
            (*INPUT, "primaryCareFacilityCode"),
            "NOT_FOUND",
            f"No health facility has the code {data.primary_care_facility_code!r}.",
        )
    elif not facility.accepts_health_insurance:
        problems.add(
            (*INPUT, "primaryCareFacilityCode"),
            "NO_HEALTH_INSURANCE_CONTRACT",
            "This facility has no health-insurance contract: it cannot be a place of primary care.",
        )
    number = None
    if person is not None and group in rules.BENEFICIARY_GROUPS:
        number = rules.card_number(group, person.province_scope, person.social_insurance_code)
        if (await session.execute(select(card_t.c.id).where(card_t.c.number == number))).first():
            problems.add(
                (*INPUT, "beneficiaryGroup"),
                "CARD_EXISTS",
                f"The card {number} exists already: renew it (renewCard) rather than issue it again.",
            )
    if problems or person is None or facility is None or number is None:
        return Invalid(problems.items)
    try:
        inserted = await session.execute(
            insert(card_t).values(
                number=number,
                social_insurance_code=person.social_insurance_code,
                person_id=person.id,
                beneficiary_group=group,
                benefit_level=rules.benefit_level(group),
                province_code=person.province_scope,
                valid_from=data.valid_from,
                valid_to=data.valid_to,
                suspended=False,
                primary_care_facility_id=facility.id,
                five_years_continuous_from=data.five_years_continuous_from,
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [Problem((*INPUT, "beneficiaryGroup"), "CARD_EXISTS", f"The card {number} exists already.")]
        )
    card_id = inserted_id(inserted)
    await record_event(
        session,
        "CARD_ISSUED",
        "HealthInsuranceCard",
        card_id,
        person_id=person.id,
        province_code=person.province_scope,
        facility_id=facility.id,
    )
    await audit(session, viewer, "issueCard", "HealthInsuranceCard", card_id, {"number": number})
    await session.commit()
    events_committed(context)
    return Saved(await _one(session, cards_with_owner().where(card_t.c.id == card_id)))


async def _card_in_scope(
    session: AsyncSession, viewer: Viewer, problems: Problems, number: str
) -> Any | None:
    value = number.strip().upper()
    if not CARD_NUMBER.match(value):
        problems.add(
            (*INPUT, "cardNumber"),
            "FORMAT",
            "A card number is 15 characters: group, level, province, code (e.g. HC4010113099841).",
        )
        return None
    row = (
        await session.execute(cards_with_owner().where(card_t.c.number == value, scopes.cards(viewer)))
    ).first()
    if row is None:
        problems.add((*INPUT, "cardNumber"), "NOT_FOUND", f"No card {value} in your scope.")
    return row


async def _card_changed(
    context: Context, viewer: Viewer, card: Any, action: str, detail: dict[str, Any]
) -> Saved:
    session = context.session
    await record_event(
        session,
        "CARD_UPDATED",
        "HealthInsuranceCard",
        card.id,
        person_id=card.person_id,
        province_code=card.owner_province,
        facility_id=card.primary_care_facility_id,
    )
    await audit(session, viewer, action, "HealthInsuranceCard", card.id, {"number": card.number, **detail})
    await session.commit()
    events_committed(context)
    return Saved(await _one(session, cards_with_owner().where(card_t.c.id == card.id)))


async def renew_card(context: Context, number: str, valid_from: date | None, valid_to: date) -> Outcome:
    viewer = require_viewer(context)
    refused = _officer(viewer, CARD_OFFICERS)
    if refused is not None:
        return refused
    problems = Problems()
    card = await _card_in_scope(context.session, viewer, problems, number)
    today = vietnam_today()
    if valid_to < today:
        problems.add(
            (*INPUT, "validTo"), "IN_THE_PAST", f"A renewed card is valid until today ({today}) or later."
        )
    start = valid_from if valid_from is not None else (card.valid_from if card is not None else None)
    if start is not None and valid_to < start:
        problems.add((*INPUT, "validTo"), "BEFORE_FROM", "validTo cannot be before validFrom.")
    if problems or card is None or start is None:
        return Invalid(problems.items)
    await context.session.execute(
        update(card_t).where(card_t.c.id == card.id).values(valid_from=start, valid_to=valid_to)
    )
    return await _card_changed(
        context,
        viewer,
        card,
        "renewCard",
        {
            "validFrom": start.isoformat(),
            "validTo": valid_to.isoformat(),
            "before": [str(card.valid_from), str(card.valid_to)],
        },
    )


async def suspend_card(context: Context, number: str, reason: str) -> Outcome:
    viewer = require_viewer(context)
    refused = _officer(viewer, CARD_OFFICERS)
    if refused is not None:
        return refused
    problems = Problems()
    card = await _card_in_scope(context.session, viewer, problems, number)
    text = check_text(problems, (*INPUT, "reason"), reason, "The reason", 500, required=True)
    if card is not None and card.suspended:
        problems.add((*INPUT, "cardNumber"), "ALREADY_SUSPENDED", "This card is suspended already.")
    if problems or card is None:
        return Invalid(problems.items)
    changed = await context.session.execute(
        update(card_t).where(card_t.c.id == card.id, card_t.c.suspended.is_(False)).values(suspended=True)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await context.session.rollback()
        return Invalid(
            [Problem((*INPUT, "cardNumber"), "ALREADY_SUSPENDED", "This card is suspended already.")]
        )
    return await _card_changed(context, viewer, card, "suspendCard", {"reason": text})


# ---------- medical visits ----------


@dataclass(frozen=True, slots=True)
class VisitData:
    social_insurance_code: str
    visit_type: str
    admitted_at: datetime
    total_cost: Decimal
    insurance_paid: Decimal
    patient_paid: Decimal
    discharged_at: datetime | None = None
    diagnosis_code: str | None = None
    diagnosis: str | None = None
    facility_code: str | None = None


async def record_medical_visit(context: Context, data: VisitData) -> Outcome:
    viewer = require_viewer(context)
    if viewer.role is not Role.PARTNER or viewer.facility_id is None:
        return Refused("Only partner hospitals record medical visits, for their own facility.")
    session = context.session
    facility = (
        await session.execute(
            select(facility_t.c.id, facility_t.c.code).where(facility_t.c.id == viewer.facility_id)
        )
    ).one()
    if data.facility_code is not None and data.facility_code.strip().upper() != facility.code:
        return Refused(f"A hospital records visits at its own facility ({facility.code}) only.")
    problems = Problems()
    person = await _person_in_scope(
        session, None, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    admitted = _aware(data.admitted_at)
    discharged = _aware(data.discharged_at) if data.discharged_at is not None else None
    now = datetime.now(VIETNAM_TZ)
    if admitted > now:
        problems.add((*INPUT, "admittedAt"), "IN_THE_FUTURE", "admittedAt cannot be in the future.")
    if discharged is not None:
        if discharged < admitted:
            problems.add(
                (*INPUT, "dischargedAt"), "BEFORE_ADMISSION", "dischargedAt cannot be before admittedAt."
            )
        elif discharged > now:
            problems.add((*INPUT, "dischargedAt"), "IN_THE_FUTURE", "dischargedAt cannot be in the future.")
    diagnosis_code = (data.diagnosis_code or "").strip().upper() or None
    if diagnosis_code is not None and (len(diagnosis_code) > 8 or not ICD10.match(diagnosis_code)):
        problems.add((*INPUT, "diagnosisCode"), "FORMAT", 'An ICD-10 code such as "J18.9" or "A09".')
    diagnosis = check_text(
        problems, (*INPUT, "diagnosis"), data.diagnosis, "The diagnosis", 300, required=False
    )
    total = _money(problems, (*INPUT, "totalCost"), data.total_cost, "The total cost")
    fund = _money(problems, (*INPUT, "insurancePaid"), data.insurance_paid, "The insurance share")
    patient = _money(problems, (*INPUT, "patientPaid"), data.patient_paid, "The patient's share")
    if total is not None and fund is not None and patient is not None and fund + patient != total:
        problems.add(
            (*INPUT, "patientPaid"),
            "NOT_ADDING_UP",
            f"insurancePaid + patientPaid must equal totalCost ({fund} + {patient} ≠ {total}).",
        )
    card = None
    if person is not None:
        day = admitted.astimezone(VIETNAM_TZ).date()
        card = (
            await session.execute(
                select(card_t.c.id)
                .where(
                    card_t.c.person_id == person.id,
                    card_t.c.suspended.is_(False),
                    card_t.c.valid_from <= day,
                    (card_t.c.valid_to.is_(None)) | (card_t.c.valid_to >= day),
                )
                .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
                .limit(1)
            )
        ).first()
        if card is None:
            problems.add(
                (*INPUT, "socialInsuranceCode"),
                "NO_VALID_CARD",
                f"This person had no valid (unsuspended, in-date) health-insurance card on {day.isoformat()}.",
            )
    if problems or person is None or card is None or total is None or fund is None or patient is None:
        return Invalid(problems.items)
    inserted = await session.execute(
        insert(visit_t).values(
            person_id=person.id,
            facility_id=facility.id,
            card_id=card.id,
            visit_type=data.visit_type,
            admitted_at=admitted,
            discharged_at=discharged,
            year=admitted.astimezone(VIETNAM_TZ).year,
            diagnosis_code=diagnosis_code,
            diagnosis=diagnosis,
            total_cost=total,
            insurance_paid=fund,
            patient_paid=patient,
        )
    )
    visit_id = inserted_id(inserted)
    await record_event(
        session,
        "MEDICAL_VISIT_RECORDED",
        "MedicalVisit",
        visit_id,
        person_id=person.id,
        province_code=person.province_scope,
        facility_id=facility.id,
    )
    # No health data in the audit trail: which visit, not what it says.
    await audit(
        session,
        viewer,
        "recordMedicalVisit",
        "MedicalVisit",
        visit_id,
        {"facility": facility.code, "personId": person.id},
    )
    await session.commit()
    events_committed(context)
    return Saved(await _one(session, visits_with_owner().where(visit_t.c.id == visit_id)))


# ---------- benefits ----------


@dataclass(frozen=True, slots=True)
class BenefitData:
    social_insurance_code: str
    regime: str
    decided_on: date
    decision_number: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    amount: Decimal | None = None
    paying_office_code: str | None = None


async def record_benefit(context: Context, data: BenefitData) -> Outcome:
    viewer = require_viewer(context)
    refused = _officer(viewer, "of the person's province record benefit decisions")
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    person = await _person_in_scope(
        session, viewer, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    if data.regime not in BENEFIT_REGIMES:
        problems.add((*INPUT, "regime"), "UNKNOWN_REGIME", f"{data.regime!r} is not a benefit regime.")
    _not_future_date(problems, (*INPUT, "decidedOn"), data.decided_on, "The decision date")
    if data.period_from is not None and data.period_to is not None and data.period_to < data.period_from:
        problems.add((*INPUT, "periodTo"), "BEFORE_FROM", "periodTo cannot be before periodFrom.")
    amount = _money(problems, (*INPUT, "amount"), data.amount, "The amount", required=False)
    decision_number = check_text(
        problems, (*INPUT, "decisionNumber"), data.decision_number, "The decision number", 40, required=False
    )
    office_id = await _office_id(session, problems, (*INPUT, "payingOfficeCode"), data.paying_office_code)
    if problems or person is None:
        return Invalid(problems.items)
    inserted = await session.execute(
        insert(benefit_t).values(
            person_id=person.id,
            regime=data.regime,
            decision_number=decision_number,
            decided_on=data.decided_on,
            period_from=data.period_from,
            period_to=data.period_to,
            amount=amount,
            paying_office_id=office_id,
        )
    )
    benefit_id = inserted_id(inserted)
    await record_event(
        session,
        "BENEFIT_DECIDED",
        "Benefit",
        benefit_id,
        person_id=person.id,
        province_code=person.province_scope,
    )
    await audit(
        session,
        viewer,
        "recordBenefit",
        "Benefit",
        benefit_id,
        {"person": person.social_insurance_code, "regime": data.regime, "decision": decision_number},
    )
    await session.commit()
    events_committed(context)
    return Saved(await _one(session, benefits_with_owner().where(benefit_t.c.id == benefit_id)))
