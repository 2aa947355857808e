"""Generated insured people and their records: deterministic for a seed, legal by construction."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from models import rules
from models.rules import records
from models.text import fold
from models.types import VIETNAM_TZ, from_month_index, month_index
from seed import reference as ref
from seed.places import PROVINCE_BY_CODE, SUCCESSOR, WARDS_BY_PROVINCE

Row = dict[str, Any]
Facility = tuple[int, bool, str, str]  # id, accepts health insurance, code, name

# The data describes the world as of this day, whatever day the seed runs: deterministic.
AS_OF = date(2026, 11, 1)
AS_OF_MONTH = AS_OF.year * 100 + AS_OF.month
BIG_CITIES = (("01", 30), ("79", 30), ("48", 8), ("31", 8), ("92", 8))
OTHER_PROVINCES_WEIGHT = 16
MOBILE_PREFIXES = [
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "056",
    "058",
    "059",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
]
ICD_BY_CHAPTER = ref.ICD10


@dataclass(slots=True)
class UnitSpec:
    code: str
    name: str
    province: str
    state_sector: bool
    row: Row


@dataclass(slots=True)
class Generated:
    persons: list[Row] = field(default_factory=list)
    # Child rows keyed by the person's social-insurance code until the person has an id.
    periods: list[Row] = field(default_factory=list)
    cards: list[Row] = field(default_factory=list)
    visits: list[Row] = field(default_factory=list)
    benefits: list[Row] = field(default_factory=list)


def unit_rows(rng: random.Random, count: int) -> list[UnitSpec]:
    provinces = [code for code, _ in BIG_CITIES]
    weights = [w for _, w in BIG_CITIES]
    names: set[str] = set()
    units: list[UnitSpec] = []
    for serial in range(1, count + 1):
        province = rng.choices(provinces, weights)[0]
        state = rng.random() < 0.2
        pattern = "Trường THPT {name}" if state and rng.random() < 0.5 else rng.choice(ref.UNIT_NAME_PATTERNS)
        name = pattern.format(name=rng.choice(ref.UNIT_NAME_WORDS) + " " + rng.choice(ref.UNIT_NAME_WORDS))
        while name in names:
            name = f"{name} {rng.randint(2, 99)}"
        names.add(name)
        ward = rng.choice(WARDS_BY_PROVINCE[province])
        code = f"{province}A{serial:04d}"
        units.append(
            UnitSpec(
                code=code,
                name=name,
                province=province,
                state_sector=state,
                row={
                    "code": code,
                    "name": name,
                    "search_name": fold(name),
                    "tax_code": f"{rng.randint(1, 9)}{rng.randint(0, 999_999_999):09d}",
                    "province_scope": province,
                    "address_scheme": "2004",
                    "province_code": province,
                    "district_code": ward.district_code,
                    "ward_code": ward.code,
                    "street": f"{rng.randint(1, 400)} {rng.choice(ref.STREET_NAMES)}",
                },
            )
        )
    return units


def _name(rng: random.Random, male: bool) -> str:
    surnames = [s for s, _ in ref.SURNAMES]
    weights = [w for _, w in ref.SURNAMES]
    surname = rng.choices(surnames, weights)[0]
    middle = rng.choice(ref.MIDDLE_NAMES_MALE if male else ref.MIDDLE_NAMES_FEMALE)
    given = rng.choice(ref.GIVEN_NAMES_MALE if male else ref.GIVEN_NAMES_FEMALE)
    return f"{surname} {middle} {given}"


def cccd(rng: random.Random, province: str, born: date, male: bool) -> str:
    """Province of birth registration (3), gender/century (1), birth year (2), serial (6)."""
    century = (born.year // 100) - 19  # 0 for the 1900s, 1 for the 2000s
    gender_digit = century * 2 + (0 if male else 1)
    return f"0{province}{gender_digit}{born.year % 100:02d}{rng.randint(0, 999_999):06d}"


def _salary(rng: random.Random, month: int, region: int, state: bool) -> tuple[Decimal, Decimal | None]:
    floor, cap = rules.salary_bounds(month, region, state_sector=state)
    if state:
        coefficient = Decimal(rng.randint(234, 620)) / 100
        return min(cap, coefficient * rules.base_salary(month)).quantize(Decimal("1")), coefficient
    salary = floor * Decimal(rng.uniform(1.0, 4.5))
    return min(cap, salary).quantize(Decimal("1000")), None


def _visit(rng: random.Random, code: str, facility: Facility, card: Row, home: Facility, day: date) -> Row:
    """A visit on a day the card is valid: in route at the card's facility or a district/commune
    one of the province, else referred from the card's facility (the money: `_pay`)."""
    admitted = datetime(
        day.year, day.month, day.day, rng.randint(7, 16), rng.choice((0, 15, 30, 45)), tzinfo=VIETNAM_TZ
    )
    inpatient = rng.random() < 0.1
    if inpatient:
        discharged = admitted + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 6))
        total = Decimal(rng.randint(2_000, 60_000)) * 1000
    else:
        discharged = admitted + timedelta(hours=rng.randint(1, 4))
        total = Decimal(rng.randint(80, 4_000)) * 1000
    tier = records.facility_tier(facility[2], facility[3])
    in_route = facility[0] == home[0] or tier in ("DISTRICT", "COMMUNE")
    route = "PRIMARY" if in_route else "REFERRED"
    visit_type = "INPATIENT" if inpatient else "OUTPATIENT"
    icd, diagnosis = rng.choice(ICD_BY_CHAPTER)
    return {
        "person_code": code,
        "card_number": card["number"],
        "facility_id": facility[0],
        "visit_type": visit_type,
        "admitted_at": admitted,
        "discharged_at": discharged,
        "year": admitted.year,
        "diagnosis_code": icd,
        "diagnosis": diagnosis,
        "total_cost": total,
        "route": route,
        "referred_from": None if in_route else home[2],
        "tier": tier,
    }


def _pay(visits: list[Row], card: Row) -> None:
    """The fund's share of each visit by the rules, in order of admission: the year's co-payment
    so far decides the 5-years case."""
    copaid: dict[int, Decimal] = {}
    for visit in sorted(visits, key=lambda v: v["admitted_at"]):
        day, total = visit["admitted_at"].date(), visit["total_cost"]
        share = records.fund_share(
            level=card["benefit_level"],
            tier=visit.pop("tier"),
            route=visit["route"],
            visit_type=visit["visit_type"],
            total=total,
            day=day,
            copaid_this_year=copaid.get(day.year, Decimal(0)),
            five_years_from=card["five_years_continuous_from"],
        )
        visit["insurance_paid"] = records.fund_paid(total, share)
        visit["patient_paid"] = total - visit["insurance_paid"]
        copaid[day.year] = copaid.get(day.year, Decimal(0)) + visit["patient_paid"]


def _history(born: date, male: bool, periods: list[Row], regions: dict[int, int]) -> records.History:
    return records.History(
        born=born,
        gender="MALE" if male else "FEMALE",
        periods=[
            records.PeriodFact(
                None,
                p["unit_id"],
                p["insurance_type"],
                p["from_month"],
                p["to_month"],
                p["salary"],
                p["salary_coefficient"],
                regions[p["unit_id"]],
            )
            for p in periods
        ],
    )


def _retirement(born: date, male: bool) -> date:
    """The first day of the month after the person reaches the normal retirement age."""
    gender = "MALE" if male else "FEMALE"
    for year in range(born.year + 55, born.year + 63):
        months = rules.retirement_age_months(gender, year)
        reached = from_month_index(month_index(born.year * 100 + born.month) + months + 1)
        if reached // 100 == year:
            return date(reached // 100, reached % 100, 1)
    return date(born.year + 62, born.month, 1)


def periods_for_job(
    code: str,
    unit_id: int,
    start: int,
    end: int,
    occupation: str,
    workplace: str | None,
    salary: Decimal,
    coefficient: Decimal | None,
    region: int = 4,
) -> list[Row]:
    """One job as the four insurance histories it appears in (BHTN from 2009, TNLĐ shown from 2016-07).

    A history that starts later than the job starts on that month's salary: at least its floor
    and coefficient x base salary (the rules judge a period by its first month)."""
    rows = []
    for insurance, earliest in (
        ("SOCIAL", 0),
        ("HEALTH", 0),
        ("OCCUPATIONAL_ACCIDENT", 201607),
        ("UNEMPLOYMENT", rules.BHTN_START),
    ):
        first = max(start, earliest)
        if first > end:
            continue
        pay = salary
        if first != start:
            floor, _ = rules.salary_bounds(first, region, state_sector=coefficient is not None)
            pay = max(pay, floor)
            if coefficient is not None:
                pay = max(pay, (coefficient * rules.base_salary(first)).quantize(Decimal("1")))
        rows.append(
            {
                "person_code": code,
                "unit_id": unit_id,
                "insurance_type": insurance,
                "from_month": first,
                "to_month": end,
                "occupation": occupation,
                "workplace": workplace,
                "currency": "VND",
                "salary": pay,
                "salary_coefficient": coefficient,
            }
        )
    return rows


def generate(
    rng: random.Random,
    count: int,
    taken_codes: set[str],
    units: list[tuple[int, UnitSpec]],
    facilities_by_province: dict[str, list[Facility]],
    offices_by_province: dict[str, int],
) -> Generated:
    """`count` people with careers, a card, visits and sometimes a benefit."""
    out = Generated()
    for chunk in generate_chunks(
        rng, count, taken_codes, units, facilities_by_province, offices_by_province, chunk_size=max(count, 1)
    ):
        out = chunk
    return out


def generate_chunks(
    rng: random.Random,
    count: int,
    taken_codes: set[str],
    units: list[tuple[int, UnitSpec]],
    facilities_by_province: dict[str, list[Facility]],
    offices_by_province: dict[str, int],
    chunk_size: int = 10_000,
) -> Iterator[Generated]:
    """What `generate` makes, `chunk_size` people at a time (the same people for the same `rng`),
    so that a large seed never holds more than one chunk of rows."""
    out = Generated()
    other = [p.code for p in ref.PROVINCES if p.code not in dict(BIG_CITIES)]
    provinces = [c for c, _ in BIG_CITIES] + other
    weights = [w for _, w in BIG_CITIES] + [OTHER_PROVINCES_WEIGHT / len(other)] * len(other)
    units_by_province: dict[str, list[tuple[int, UnitSpec]]] = {}
    regions = {unit_id: PROVINCE_BY_CODE[spec.province].wage_region for unit_id, spec in units}
    for unit in units:
        units_by_province.setdefault(unit[1].province, []).append(unit)
    for _ in range(count):
        province = rng.choices(provinces, weights)[0]
        male = rng.random() < 0.5
        born = date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28))
        code = f"{province}{rng.randint(0, 99_999_999):08d}"
        while code in taken_codes:
            code = f"{province}{rng.randint(0, 99_999_999):08d}"
        taken_codes.add(code)
        full_name = _name(rng, male)
        ward = rng.choice(WARDS_BY_PROVINCE[province])
        two_level = rng.random() < 0.05  # written after 2025-07-01
        out.persons.append(
            {
                "social_insurance_code": code,
                "full_name": full_name,
                "search_name": fold(full_name),
                "gender": "MALE" if male else "FEMALE",
                "date_of_birth": born,
                "id_type": "CCCD",
                "id_number": cccd(rng, province, born, male),
                "phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}",
                "email": f"{fold(full_name).replace(' ', '.')}{rng.randint(1, 999)}@gmail.com"
                if rng.random() < 0.4
                else None,
                "province_scope": province,
                "address_scheme": "2025" if two_level else "2004",
                "province_code": SUCCESSOR[province] if two_level else province,
                "district_code": None if two_level else ward.district_code,
                "ward_code": ward.code,
                "street": f"Số {rng.randint(1, 200)} {rng.choice(ref.STREET_NAMES)}",
            }
        )
        # A career: jobs from the early twenties, with gaps, until 60 or now.
        month = month_index((born.year + rng.randint(21, 26)) * 100 + rng.randint(1, 12))
        last = min(month_index(AS_OF_MONTH), month_index((born.year + 60) * 100 + born.month))
        if rng.random() < 0.1:
            last = min(last, month + rng.randint(12, 240))
        pool = units_by_province.get(province) or units
        employed_now = False
        state_now = False
        started = None
        current_start: int | None = None
        prev_end = -2
        mine: list[Row] = []
        while month <= last:
            length = rng.randint(6, 120)
            end = min(last, month + length - 1)
            unit_id, employer = rng.choice(pool if rng.random() < 0.85 else units)
            start_ym, end_ym = from_month_index(month), from_month_index(end)
            # The floor is the unit's region's: where the work is, not where the person lives.
            region = PROVINCE_BY_CODE[employer.province].wage_region
            salary, coefficient = _salary(rng, start_ym, region, employer.state_sector)
            occupation = rng.choice(ref.OCCUPATIONS)
            mine.extend(
                periods_for_job(
                    code, unit_id, start_ym, end_ym, occupation, None, salary, coefficient, region
                )
            )
            started = started or start_ym
            if current_start is None or month != prev_end + 1:
                current_start = start_ym
            prev_end = end
            employed_now = end == month_index(AS_OF_MONTH)
            state_now = employer.state_sector
            month = end + 1 + (rng.randint(1, 18) if rng.random() < 0.3 else 0)
        out.periods.extend(mine)
        history = _history(born, male, mine, regions)
        facilities = facilities_by_province[province]
        insured = [f for f in facilities if f[1]] or list(facilities)
        home = rng.choice(insured)
        expired = rng.random() < 0.05
        valid_from = date(2025, 1, 1) if expired else date(2026, 1, 1)
        valid_to = date(2025, 12, 31) if expired else (date(2026, 12, 31) if rng.random() < 0.6 else None)
        # A pension from the normal retirement age, for whoever has worked long enough (the
        # benefit that makes the card HT).
        pension = None
        retire = _retirement(born, male)
        if not employed_now and retire <= AS_OF:
            pension = _pension(code, male, retire, history, offices_by_province[province])
            if pension is not None:
                out.benefits.append(pension)
                history.benefits.append(_benefit_fact(pension))
        group = ("HC" if state_now else "DN") if employed_now else ("HT" if pension is not None else "GD")
        if group in records.EMPLOYEE_GROUPS and current_start is not None:
            valid_from = max(valid_from, date(current_start // 100, current_start % 100, 1))
        if group == "HT" and pension is not None:
            valid_from = max(valid_from, pension["period_from"])
        if valid_to is not None and valid_to < valid_from:
            valid_to = None
        card = {
            "person_code": code,
            "number": rules.card_number(group, province, code),
            "social_insurance_code": code,
            "beneficiary_group": group,
            "benefit_level": rules.benefit_level(group),
            "province_code": province,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "suspended": False,
            "primary_care_facility_id": home[0],
            "five_years_continuous_from": date(started // 100 + 5, started % 100, 1)
            if started and started // 100 + 5 <= AS_OF.year
            else None,
        }
        fact = records.CardFact(None, group, valid_from, valid_to)
        if records.check_card(fact, history, AS_OF):
            # Household BHYT: what anyone may buy (and the highest level if nothing else fits).
            group = "GD"
            card.update(
                number=rules.card_number(group, province, code),
                beneficiary_group=group,
                benefit_level=rules.benefit_level(group),
            )
        out.cards.append(card)
        first_day = max(valid_from, date(AS_OF.year - 2, 1, 1))
        last_day = min(valid_to or AS_OF, AS_OF)
        days: list[date] = []
        for year in (AS_OF.year - 2, AS_OF.year - 1, AS_OF.year):
            low, high = max(first_day, date(year, 1, 1)), min(last_day, date(year, 12, 31))
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                if low <= high:
                    days.append(low + timedelta(days=rng.randint(0, (high - low).days)))
        mine_visits = [_visit(rng, code, rng.choice(insured), card, home, day) for day in sorted(days)]
        _pay(mine_visits, card)
        out.visits.extend(mine_visits)
        if started and pension is None and rng.random() < 0.15:
            age = AS_OF.year - born.year
            benefit = _benefit(
                rng, code, male, born, employed_now, age, offices_by_province[province], history
            )
            if benefit is not None:
                out.benefits.append(benefit)
        if len(out.persons) >= chunk_size:
            yield out
            out = Generated()
    if out.persons or count == 0:
        yield out


def _benefit_fact(row: Row) -> records.BenefitFact:
    return records.BenefitFact(
        None,
        row["regime"],
        row["decided_on"],
        row["decision_number"],
        row["period_from"],
        row["period_to"],
        row["amount"],
    )


def _pension(code: str, male: bool, start: date, history: records.History, office_id: int) -> Row | None:
    """The monthly pension from `start`, at the highest amount the rules allow, if they allow one."""
    row: Row = {
        "person_code": code,
        "regime": "MONTHLY_PENSION",
        "decision_number": f"{code}-1/QĐ-BHXH",
        "decided_on": start - timedelta(days=15),
        "period_from": start,
        "period_to": None,
        "amount": None,
        "paying_office_id": office_id,
    }
    if records.check_benefit(_benefit_fact(row), history):
        return None
    salary = history.salary_before("SOCIAL", rules.month_of(start))
    if salary is not None:
        months = len(history.months("SOCIAL", before=rules.month_of(start)))
        row["amount"] = (salary * records.pension_rate("MALE" if male else "FEMALE", months, start)).quantize(
            Decimal("1"), rounding="ROUND_DOWN"
        )
    return row


def _benefit(
    rng: random.Random,
    code: str,
    male: bool,
    born: date,
    employed: bool,
    age: int,
    office_id: int,
    history: records.History,
) -> Row | None:
    """A benefit the rules allow for this person, or none."""
    options = ["SICKNESS", "CONVALESCENCE"] if employed else ["UNEMPLOYMENT", "ONE_TIME_SOCIAL_INSURANCE"]
    if not male and 20 <= age <= 45:
        options.append("MATERNITY")
    regime = rng.choice(options)
    decided = AS_OF - timedelta(days=rng.randint(10, 900))
    base = Decimal(rules.base_salary(decided.year * 100 + decided.month))
    salary = history.salary_before("SOCIAL", rules.month_of(decided)) or base
    days = rng.randint(5, 10) if regime == "CONVALESCENCE" else rng.randint(3, 30)
    amount = {
        "SICKNESS": salary * Decimal("0.75") * days / 24,
        "CONVALESCENCE": base * Decimal("0.30") * days,
        "MATERNITY": base * 2 + salary * 6,
        "UNEMPLOYMENT": salary * Decimal("0.6") * 3,
        "ONE_TIME_SOCIAL_INSURANCE": salary * 2 * rng.randint(1, 3),
    }[regime].quantize(Decimal("1"), rounding="ROUND_DOWN")
    row: Row = {
        "person_code": code,
        "regime": regime,
        "decision_number": f"{code}-2/QĐ-BHXH",
        "decided_on": decided,
        "period_from": decided,
        "period_to": decided + timedelta(days=days - 1),
        "amount": amount,
        "paying_office_id": office_id,
    }
    return None if records.check_benefit(_benefit_fact(row), history) else row
