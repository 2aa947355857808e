"""The rules a record obeys given the person and their other records (the law's numbers are in
`models.rules.law`). Pure functions over a `History`: the mutations load one from the database
(`resolvers/recording.py`), the seed builds one in memory, so a row the API would refuse is never
seeded. Each rule gives a specific code and a message that says the limit.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from models.rules.law import (
    Violation,
    age_in_months,
    base_salary,
    benefit_level,
    month_of,
    regional_minimum,
    retirement_age_months,
    salary_bounds,
    salary_cap,
    years_months,
)
from models.types import from_month_index, month_index, to_year_month

# Groups whose card the employer and the employee pay (domain facts): valid while they contribute.
EMPLOYEE_GROUPS = frozenset(("DN", "HX", "CH", "NN", "TK", "HC", "XK"))
MIN_WORKING_AGE = 15  # Labour Code 2019 art. 143: below 15 only light work, with no insurance period
ONE_VND = Decimal("1")  # amounts are rounded to the VND by the offices: a cap is met within 1 VND


@dataclass(frozen=True, slots=True)
class PeriodFact:
    id: int | None
    unit_id: int
    insurance_type: str
    from_month: int
    to_month: int
    salary: Decimal | None
    coefficient: Decimal | None = None
    region: int = 4


@dataclass(frozen=True, slots=True)
class CardFact:
    id: int | None
    group: str
    valid_from: date
    valid_to: date | None
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class BenefitFact:
    id: int | None
    regime: str
    decided_on: date
    decision_number: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    amount: Decimal | None = None


@dataclass(slots=True)
class History:
    """One person and their records in force (voided ones left out)."""

    born: date | None
    gender: str | None
    periods: list[PeriodFact] = field(default_factory=list)
    cards: list[CardFact] = field(default_factory=list)
    benefits: list[BenefitFact] = field(default_factory=list)

    def months(self, insurance_type: str, before: int | None = None) -> set[int]:
        """Month indexes paid for the type (overlaps once), those before YYYYMM `before` only."""
        limit = month_index(before) if before is not None else None
        out: set[int] = set()
        for p in self.periods:
            if p.insurance_type != insurance_type:
                continue
            last = month_index(p.to_month) if limit is None else min(month_index(p.to_month), limit - 1)
            out.update(range(month_index(p.from_month), last + 1))
        return out

    def salary_before(self, insurance_type: str, month: int) -> Decimal | None:
        """The highest salary paid on (each capped at its month's cap) in periods begun by YYYYMM
        `month`: an upper bound of any average the regimes take."""
        best: Decimal | None = None
        for p in self.periods:
            if p.insurance_type != insurance_type or p.from_month > month or p.salary is None:
                continue
            capped = min(p.salary, salary_cap(p.from_month, insurance_type, p.region)[0])
            best = capped if best is None else max(best, capped)
        return best


def _others(items: Iterable[PeriodFact], own: int | None) -> list[PeriodFact]:
    return [p for p in items if own is None or p.id != own]


# ---------- contribution periods ----------


def check_period(period: PeriodFact, history: History) -> list[Violation]:
    """Age, overlap, salary floor and cap by type and year, coefficient x base salary."""
    out: list[Violation] = []
    if history.born is not None:
        born_month = month_of(history.born)
        fifteen = month_of(history.born.replace(year=history.born.year + MIN_WORKING_AGE))
        if period.from_month < born_month:
            out.append(
                Violation(
                    "fromMonth",
                    "BEFORE_BIRTH",
                    f"The person was born in {to_year_month(born_month)}: a period cannot start before that.",
                )
            )
        elif period.from_month < fifteen:
            out.append(
                Violation(
                    "fromMonth",
                    "UNDER_WORKING_AGE",
                    f"A contribution period starts at {MIN_WORKING_AGE} or older: this person is "
                    f"{MIN_WORKING_AGE} from {to_year_month(fifteen)}.",
                )
            )
    for other in _others(history.periods, period.id):
        if (
            other.unit_id == period.unit_id
            and other.insurance_type == period.insurance_type
            and other.from_month <= period.to_month
            and period.from_month <= other.to_month
        ):
            exact = (other.from_month, other.to_month) == (period.from_month, period.to_month)
            out.append(
                Violation(
                    "fromMonth",
                    "DUPLICATE" if exact else "OVERLAP",
                    "This person already has exactly this period at this unit for this insurance."
                    if exact
                    else f"Overlaps the period {to_year_month(other.from_month)} to {to_year_month(other.to_month)} "
                    "at the same unit for the same insurance: one unit pays a month once.",
                )
            )
            break
    if period.salary is not None:
        state = period.coefficient is not None
        floor, _ = salary_bounds(period.from_month, period.region, state_sector=state)
        cap, how = salary_cap(period.from_month, period.insurance_type, period.region)
        if period.salary < floor:
            kind = (
                "the base salary (state scale)"
                if state or regional_minimum(period.from_month, 1) is None
                else (f"the regional minimum of region {period.region}")
            )
            out.append(
                Violation(
                    "salary",
                    "SALARY_BELOW_FLOOR",
                    f"A contribution salary is at least {kind}: {floor:,.0f} VND in "
                    f"{to_year_month(period.from_month)}.",
                )
            )
        elif period.salary > cap:
            out.append(Violation("salary", "SALARY_ABOVE_CAP", f"{how[0].upper()}{how[1:]}."))
        if state and period.coefficient is not None:
            least = (period.coefficient * base_salary(period.from_month)).quantize(ONE_VND)
            # Allowances (chức vụ, thâm niên) add to coefficient x base salary, never take from it.
            if period.salary < least - ONE_VND:
                out.append(
                    Violation(
                        "salary",
                        "BELOW_COEFFICIENT",
                        f"A state-scale salary is at least its coefficient × the base salary: "
                        f"{period.coefficient} × {base_salary(period.from_month):,} = {least:,.0f} VND "
                        f"in {to_year_month(period.from_month)}.",
                    )
                )
    return out


# ---------- health-insurance cards ----------


def sixth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + 6)
    except ValueError:  # 29 February
        return date(born.year + 6, 3, 1)


def pension_start(history: History) -> date | None:
    starts = [b.period_from or b.decided_on for b in history.benefits if b.regime == "MONTHLY_PENSION"]
    return min(starts) if starts else None


def check_card(card: CardFact, history: History, as_of: date) -> list[Violation]:
    """The group fits the person, the highest level they qualify for, one valid card at a time."""
    out: list[Violation] = []
    group, level = card.group, benefit_level(card.group)
    child = history.born is not None and card.valid_from < sixth_birthday(history.born)
    pensioner = pension_start(history)
    if group == "TE":
        if history.born is None or not child:
            out.append(
                Violation(
                    "beneficiaryGroup",
                    "GROUP_NOT_ELIGIBLE",
                    "TE is for children under 6: "
                    + (
                        "this person's date of birth is not known."
                        if history.born is None
                        else f"this person turned 6 on {sixth_birthday(history.born).isoformat()}."
                    ),
                )
            )
        elif history.born is not None and (
            card.valid_to is None or card.valid_to >= sixth_birthday(history.born)
        ):
            last = sixth_birthday(history.born) - timedelta(days=1)
            out.append(
                Violation(
                    "validTo",
                    "PAST_SIXTH_BIRTHDAY",
                    f"A TE card is valid until the day before the 6th birthday: at most {last.isoformat()}.",
                )
            )
    elif child and level > 1:
        out.append(
            Violation(
                "beneficiaryGroup",
                "LOWER_LEVEL_GROUP",
                "This person is under 6 and qualifies for TE (level 1, 100%): the highest level applies.",
            )
        )
    if group == "HT" and (pensioner is None or pensioner > card.valid_from):
        out.append(
            Violation(
                "beneficiaryGroup",
                "GROUP_NOT_ELIGIBLE",
                "HT is for people on a monthly pension: "
                + (
                    "this person has none."
                    if pensioner is None
                    else f"this person's pension starts on {pensioner.isoformat()}."
                ),
            )
        )
    elif pensioner is not None and pensioner <= card.valid_from and level == 4:
        out.append(
            Violation(
                "beneficiaryGroup",
                "LOWER_LEVEL_GROUP",
                "This person is on a monthly pension and qualifies for HT (level 3, 95%): the highest level applies.",
            )
        )
    if group in EMPLOYEE_GROUPS:
        paid = history.months("HEALTH")
        start = month_index(month_of(card.valid_from))
        if start not in paid:
            out.append(
                Violation(
                    "validFrom",
                    "NOT_CONTRIBUTING",
                    f"A {group} card is paid by the employer and the employee: this person has no BHYT "
                    f"contribution in {to_year_month(month_of(card.valid_from))}.",
                )
            )
        else:
            last_paid = start
            while last_paid + 1 in paid:
                last_paid += 1
            # One month's grace: a month's contribution is declared in the month after (unconfirmed).
            after = from_month_index(last_paid + 2)
            limit = date(after // 100, after % 100, 1) - timedelta(days=1)
            end = card.valid_to if card.valid_to is not None else as_of
            if end > limit and (card.valid_to is not None or last_paid < month_index(month_of(as_of))):
                out.append(
                    Violation(
                        "validTo",
                        "VALID_AFTER_CONTRIBUTIONS",
                        f"The BHYT contributions behind a {group} card end in {to_year_month(from_month_index(last_paid))}: "
                        f"the card is valid until {limit.isoformat()} at the latest.",
                    )
                )
    if not card.suspended:
        for other in history.cards:
            if (other.id is not None and other.id == card.id) or other.suspended:
                continue
            if (other.valid_to is None or other.valid_to >= card.valid_from) and (
                card.valid_to is None or card.valid_to >= other.valid_from
            ):
                out.append(
                    Violation(
                        "validFrom",
                        "CARD_OVERLAP",
                        f"One valid card at a time: the {other.group} card valid from {other.valid_from.isoformat()}"
                        + (f" to {other.valid_to.isoformat()}" if other.valid_to else " (no end)")
                        + " overlaps; end or suspend it first.",
                    )
                )
                break
    return out


# ---------- medical visits: what the fund pays ----------

ROUTES = ("PRIMARY", "REFERRED", "OUT_OF_ROUTE", "EMERGENCY")
TIERS = ("CENTRAL", "PROVINCE", "DISTRICT", "COMMUNE")
# Central (tuyến trung ương) hospitals among the facilities of the demo data: the register of
# facility levels is not loaded, so other facilities are told apart by their names.
CENTRAL_FACILITIES = frozenset(
    (
        "01929",
        "01909",
        "01902",
        "01904",
        "01910",
        "01913",
        "01922",
        "01905",
        "79024",
        "79025",
        "48002",
        "92001",
    )
)


def facility_tier(code: str, name: str) -> str:
    """Tuyến of a facility: central, provincial, district (incl. clinics), commune."""
    lowered = name.lower()
    if code in CENTRAL_FACILITIES or "trung ương" in lowered:
        return "CENTRAL"
    if lowered.startswith("trạm y tế"):
        return "COMMUNE"
    if lowered.startswith(("trung tâm y tế", "phòng khám", "bệnh viện đa khoa khu vực")):
        return "DISTRICT"
    return "PROVINCE"


def out_of_route_factor(tier: str, visit_type: str, day: date) -> Decimal:
    """Law 46/2014 art. 22: out of route, the fund pays this part of the in-route share: district
    level 100% from 2016; provincial inpatient 60%, 100% from 2021; central inpatient 40%;
    outpatient at provincial and central level nothing."""
    if tier in ("DISTRICT", "COMMUNE"):
        return Decimal("1") if day >= date(2016, 1, 1) else Decimal("0.7")
    if visit_type != "INPATIENT":
        return Decimal("0")
    if tier == "PROVINCE":
        return Decimal("1") if day >= date(2021, 1, 1) else Decimal("0.6")
    return Decimal("0.4")


@dataclass(frozen=True, slots=True)
class FundShare:
    share: Decimal
    why: str


def fund_share(
    *,
    level: int,
    tier: str,
    route: str,
    visit_type: str,
    total: Decimal,
    day: date,
    copaid_this_year: Decimal = Decimal(0),
    five_years_from: date | None = None,
) -> FundShare:
    """The share of a visit's cost the fund pays (Law 25/2008 art. 22 as amended by Law 46/2014).

    In route (primary, referred, emergency): the level's share, but 100% when the visit costs less
    than 15% of the base salary, at commune level, or after 5 continuous years once the year's
    co-payment exceeds 6 months of base salary. Out of route: the in-route share x the route factor,
    and none of the 100% cases. Level 2's caps on technical services are not modelled.
    """
    from models.rules.law import FUND_SHARE

    share = FUND_SHARE[level]
    base = Decimal(base_salary(month_of(day)))
    if route == "OUT_OF_ROUTE":
        factor = out_of_route_factor(tier, visit_type, day)
        return FundShare(share * factor, f"out of route at {tier.lower()} level: {factor:.0%} of {share:.0%}")
    if share < 1 and total < base * Decimal("0.15"):
        return FundShare(
            Decimal(1), f"costs less than 15% of the base salary ({base * Decimal('0.15'):,.0f} VND)"
        )
    if share < 1 and tier == "COMMUNE":
        return FundShare(Decimal(1), "at commune level")
    if share < 1 and five_years_from is not None and five_years_from <= day and copaid_this_year > 6 * base:
        return FundShare(
            Decimal(1), "5 continuous years and the year's co-payment above 6 months of base salary"
        )
    return FundShare(share, f"benefit level {level}: {share:.0%}")


def fund_paid(total: Decimal, share: FundShare) -> Decimal:
    return (total * share.share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------- benefits ----------

CONVALESCENCE_DAYS = (5, 10)
# Regimes of the BHXH fund that need the person's own contributions (survivorship is the
# dependants', unemployment has its own BHTN rule).
PAID_BY_BHXH = frozenset(
    (
        "SICKNESS",
        "MATERNITY",
        "CONVALESCENCE",
        "OCCUPATIONAL_ACCIDENT",
        "MONTHLY_PENSION",
        "ONE_TIME_SOCIAL_INSURANCE",
    )
)


def sickness_days_per_year(social_months: int) -> int:
    """Law 58/2014 art. 26: 30 days a year under 15 years paid, 40 for 15 to 30, 60 from 30."""
    years = social_months // 12
    return 30 if years < 15 else 40 if years < 30 else 60


def pension_minimum_years(gender: str | None, start: date) -> int:
    """20 years for men, 15 for women; 15 for everyone from 2025-07-01 (Law 41/2024)."""
    if start >= date(2025, 7, 1):
        return 15
    return 15 if gender == "FEMALE" else 20


def pension_rate(gender: str | None, months: int, start: date) -> Decimal:
    """45% at the threshold years (20 men / 15 women), +2% a year, at most 75%; men with 15-19 years
    from 2025-07: 40% at 15 years, +1% a year (Law 41/2024 art. 66)."""
    years = months // 12
    threshold = 15 if gender == "FEMALE" else 20
    if years < threshold:
        return min(Decimal("0.40") + Decimal("0.01") * (years - 15), Decimal("0.45"))
    return min(Decimal("0.45") + Decimal("0.02") * (years - threshold), Decimal("0.75"))


def unemployment_months(bhtn_months: int) -> int:
    """3 months for 12-36 months paid, +1 for every further 12, at most 12 (Law 38/2013 art. 50)."""
    if bhtn_months < 12:
        return 0
    return min(12, 3 + max(0, bhtn_months - 36) // 12)


def _days(benefit: BenefitFact) -> int | None:
    if benefit.period_from is None or benefit.period_to is None:
        return None
    return (benefit.period_to - benefit.period_from).days + 1


def _allowed(benefit: BenefitFact, history: History) -> tuple[Decimal, str] | None:
    """The most the regime allows for this decision, and how (None: nothing to compare)."""
    start = benefit.period_from or benefit.decided_on
    month = month_of(start)
    base = Decimal(base_salary(month))
    salary = history.salary_before("SOCIAL", month)
    days = _days(benefit)
    regime = benefit.regime
    if regime == "SICKNESS" and days is not None and salary is not None:
        return salary * Decimal("0.75") / 24 * days, f"75% of the salary ({salary:,.0f}) / 24 × {days} days"
    if regime == "CONVALESCENCE" and days is not None:
        return base * Decimal("0.30") * days, f"30% of the base salary ({base:,.0f}) × {days} days"
    if regime == "MATERNITY" and salary is not None:
        return (
            salary * 6 + base * 2,
            f"6 months of the salary ({salary:,.0f}) + 2 × the base salary per child",
        )
    if regime == "MONTHLY_PENSION" and salary is not None:
        months = len(history.months("SOCIAL", before=month))
        rate = pension_rate(history.gender, months, start)
        return salary * rate, f"{rate:.0%} of the salary ({salary:,.0f}) a month"
    if regime == "ONE_TIME_SOCIAL_INSURANCE" and salary is not None:
        paid = history.months("SOCIAL", before=month)
        before_2014 = sum(1 for m in paid if m < month_index(201401))
        factor = Decimal("1.5") * before_2014 / 12 + Decimal(2) * (len(paid) - before_2014) / 12
        return (
            salary * factor,
            f"1.5 (before 2014) or 2 (from 2014) months of the salary ({salary:,.0f}) a year paid",
        )
    if regime == "UNEMPLOYMENT":
        bhtn = len(history.months("UNEMPLOYMENT", before=month))
        last = [p for p in history.periods if p.insurance_type == "UNEMPLOYMENT" and p.from_month < month]
        if not last or (pay := history.salary_before("UNEMPLOYMENT", month)) is None:
            return None
        latest = max(last, key=lambda p: p.to_month)
        minimum = regional_minimum(month, latest.region)
        ceiling = Decimal(
            5 * (base_salary(month) if latest.coefficient is not None or minimum is None else minimum)
        )
        monthly = min(pay * Decimal("0.60"), ceiling)
        entitled = unemployment_months(bhtn)
        return (
            monthly * entitled,
            f"60% of the salary, at most {ceiling:,.0f} VND, a month × {entitled} months",
        )
    if regime == "SURVIVORSHIP":
        # Monthly 50-70% of base salary for at most 4 dependants, with the 10 x base funeral
        # allowance (unconfirmed: the lump-sum variant is bounded by the same figure here).
        return base * Decimal(
            "0.7"
        ) * 4 + base * 10, "4 dependants × 70% of the base salary + 10 × the base salary"
    if regime == "OCCUPATIONAL_ACCIDENT" and salary is not None:
        # The lump sum at 30% incapacity, the highest (Law 84/2015 art. 48): 5 + 0.5 per % above 5
        # months of base salary, + 0.5 month of salary for the first year paid and 0.3 per further
        # year (unconfirmed for the monthly allowance, which stays below it for the first years).
        years = len(history.months("SOCIAL", before=month)) // 12
        return base * Decimal("17.5") + salary * (Decimal("0.5") + Decimal("0.3") * years), (
            "the lump sum at 30% incapacity"
        )
    return None


def check_benefit(benefit: BenefitFact, history: History, *, own_id: int | None = None) -> list[Violation]:
    out: list[Violation] = []
    start = benefit.period_from or benefit.decided_on
    month = month_of(start)
    others = [b for b in history.benefits if own_id is None or b.id != own_id]
    if benefit.decision_number is not None and any(
        b.decision_number == benefit.decision_number for b in others
    ):
        out.append(
            Violation(
                "decisionNumber",
                "DUPLICATE_DECISION",
                f"The decision {benefit.decision_number} is recorded already.",
            )
        )
    days = _days(benefit)
    regime = benefit.regime
    if regime in PAID_BY_BHXH and history.salary_before("SOCIAL", month) is None:
        out.append(
            Violation(
                "regime",
                "NO_CONTRIBUTIONS",
                f"{regime} is paid to the insured: this person has no BHXH period begun by {to_year_month(month)}.",
            )
        )
    if regime == "MONTHLY_PENSION":
        age = retirement_age_months(history.gender, start.year)
        if history.born is None or age_in_months(history.born, start) < age:
            out.append(
                Violation(
                    "periodFrom",
                    "BELOW_RETIREMENT_AGE",
                    f"The retirement age in {start.year} is {years_months(age)} for "
                    f"{'women' if history.gender == 'FEMALE' else 'men'} (Labour Code 2019)"
                    + (
                        f": this person is {years_months(age_in_months(history.born, start))} on {start.isoformat()}."
                        if history.born is not None
                        else ": this person's date of birth is not known."
                    ),
                )
            )
        paid = len(history.months("SOCIAL", before=month))
        least = pension_minimum_years(history.gender, start)
        if paid < least * 12:
            out.append(
                Violation(
                    "regime",
                    "NOT_ENOUGH_YEARS",
                    f"A monthly pension needs {least} years of BHXH: this person has {years_months(paid)}.",
                )
            )
    elif regime == "UNEMPLOYMENT":
        window = set(range(month_index(month) - 24, month_index(month)))
        paid = len(history.months("UNEMPLOYMENT", before=month) & window)
        if paid < 12:
            out.append(
                Violation(
                    "regime",
                    "BHTN_MONTHS_SHORT",
                    f"Unemployment benefit needs 12 months of BHTN in the 24 before it starts: this person has {paid}.",
                )
            )
    elif regime == "MATERNITY":
        window = set(range(month_index(month) - 12, month_index(month)))
        paid = len(history.months("SOCIAL", before=month) & window)
        if paid < 6:
            out.append(
                Violation(
                    "regime",
                    "MATERNITY_MONTHS_SHORT",
                    f"Maternity benefit needs 6 months of BHXH in the 12 before the birth: this person has {paid}.",
                )
            )
    elif regime in ("SICKNESS", "CONVALESCENCE") and days is None:
        out.append(
            Violation("periodTo", "PERIOD_REQUIRED", "Give periodFrom and periodTo: the regime pays by day.")
        )
    if regime == "SICKNESS" and days is not None and benefit.period_from is not None:
        year = benefit.period_from.year
        allowed = sickness_days_per_year(len(history.months("SOCIAL", before=month)))
        taken = sum(
            _days(b) or 0
            for b in others
            if b.regime == "SICKNESS" and b.period_from is not None and b.period_from.year == year
        )
        if taken + days > allowed:
            out.append(
                Violation(
                    "periodTo",
                    "SICKNESS_DAYS_EXCEEDED",
                    f"Sickness benefit is at most {allowed} days a year for this person's years paid: "
                    f"{taken} taken in {year}, {days} more asked.",
                )
            )
    if (
        regime == "CONVALESCENCE"
        and days is not None
        and not CONVALESCENCE_DAYS[0] <= days <= CONVALESCENCE_DAYS[1]
    ):
        out.append(
            Violation(
                "periodTo",
                "CONVALESCENCE_DAYS",
                f"Convalescence lasts {CONVALESCENCE_DAYS[0]} to {CONVALESCENCE_DAYS[1]} days (got {days}).",
            )
        )
    if benefit.amount is not None:
        allowed_amount = _allowed(benefit, history)
        if allowed_amount is not None and benefit.amount > allowed_amount[0] + ONE_VND:
            out.append(
                Violation(
                    "amount",
                    "AMOUNT_ABOVE_REGIME",
                    f"{regime} allows at most {allowed_amount[0]:,.0f} VND here ({allowed_amount[1]}).",
                )
            )
    return out


# ---------- registration (tờ khai mẫu 01) ----------


def check_id_document(
    id_type: str,
    id_number: str,
    *,
    recorded_type: str | None,
    recorded_number: str | None,
    provinces: frozenset[str],
) -> list[Violation]:
    """The ID on the form is the one on the record, and a CCCD names a province that exists.

    A CCCD's 2nd and 3rd digits are the province of birth registration. Its leading digit and the
    gender/century and birth-year digits are not checked: records older than the CCCD scheme (the
    user guide's own example among them) do not follow it.
    """
    out: list[Violation] = []
    if recorded_number is not None and (recorded_type, recorded_number) != (id_type, id_number):
        out.append(
            Violation(
                "idDocumentNumber",
                "ID_MISMATCH",
                "This ID document is not the one on the insured person's record: bring the recorded one, "
                "or have the record corrected at the office first.",
            )
        )
    if id_type == "CCCD" and len(id_number) == 12 and id_number.isdigit() and id_number[1:3] not in provinces:
        out.append(
            Violation(
                "idDocumentNumber",
                "ID_PROVINCE_UNKNOWN",
                f"A CCCD's 2nd and 3rd digits are the province of birth registration: {id_number[1:3]} is no province.",
            )
        )
    return out


# ---------- household BHYT ----------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


@dataclass(frozen=True, slots=True)
class HouseholdWindow:
    """When a member's household card is valid for what is paid now."""

    valid_from: date
    valid_to: date
    continued: bool  # the member's household card goes on without a break


def household_window(previous: CardFact | None, paid_on: date, months: int) -> HouseholdWindow:
    """The validity that `months` paid on `paid_on` buy (law.py HOUSEHOLD_WAIT_DAYS): from the day
    after the household card in force ends (or from the payment, for a card without an end); after
    a break shorter than 3 months from the payment; else (a first card, a longer break) 30 days
    after it."""
    from models.rules.law import HOUSEHOLD_BREAK_MONTHS, HOUSEHOLD_WAIT_DAYS

    continued = False
    if (
        previous is not None
        and not previous.suspended
        and previous.valid_from <= paid_on + timedelta(days=HOUSEHOLD_WAIT_DAYS)
    ):
        if previous.valid_to is None:
            start, continued = paid_on, True
        elif previous.valid_to >= paid_on:
            start, continued = previous.valid_to + timedelta(days=1), True
        elif add_months(previous.valid_to, HOUSEHOLD_BREAK_MONTHS) > paid_on:
            start = paid_on
        else:
            start = paid_on + timedelta(days=HOUSEHOLD_WAIT_DAYS)
    else:
        start = paid_on + timedelta(days=HOUSEHOLD_WAIT_DAYS)
    return HouseholdWindow(start, add_months(start, months) - timedelta(days=1), continued)


def covered_elsewhere(cards: Iterable[CardFact], window: HouseholdWindow) -> CardFact | None:
    """A card of another group (employee, state-paid, student ...) valid in the window: the member
    is insured through it, so the household pays nothing for them and they do not count in the
    scale's order (Law 46/2014 art. 13.1.e; one valid card at a time, check_card)."""
    for card in cards:
        if card.group == "GD" or card.suspended:
            continue
        if card.valid_from <= window.valid_to and (
            card.valid_to is None or card.valid_to >= window.valid_from
        ):
            return card
    return None


def check_household_months(months: int) -> list[Violation]:
    from models.rules.law import HOUSEHOLD_PERIODS

    allowed = ", ".join(str(m) for m in HOUSEHOLD_PERIODS)
    if months <= 0:
        return [
            Violation("months", "MONTHS_NOT_POSITIVE", f"Pay for {allowed} months: {months} is not a period.")
        ]
    if months > max(HOUSEHOLD_PERIODS):
        return [
            Violation(
                "months",
                "MONTHS_TOO_MANY",
                f"Household BHYT is paid for at most {max(HOUSEHOLD_PERIODS)} months at a time (got {months}).",
            )
        ]
    if months not in HOUSEHOLD_PERIODS:
        return [
            Violation(
                "months",
                "MONTHS_NOT_A_PERIOD",
                f"Household BHYT is paid for {allowed} months at a time (got {months}).",
            )
        ]
    return []
