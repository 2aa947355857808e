"""The law's numbers: base salary, regional minimum wages, caps, contribution rates, benefit levels,
retirement ages. Pure values and functions; the record rules beside this module apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule: the input field it concerns (camelCase), a specific code, and a message that
    says the limit that applies."""

    field: str
    code: str
    message: str


# Lương cơ sở (base salary) by the YYYYMM it took effect.
BASE_SALARY: tuple[tuple[int, int], ...] = (
    (200610, 450_000),
    (200801, 540_000),
    (200905, 650_000),
    (201005, 730_000),
    (201105, 830_000),
    (201205, 1_050_000),
    (201307, 1_150_000),
    (201605, 1_210_000),
    (201707, 1_300_000),
    (201807, 1_390_000),
    (201907, 1_490_000),
    (202307, 1_800_000),
    (202407, 2_340_000),
)
# Regional minimum wages (regions I..IV) by the YYYYMM they took effect. Values before 2024-07
# are from the decrees of those years as remembered (unconfirmed); before 2013 the base salary is
# the only lower bound applied.
REGIONAL_MINIMUM: tuple[tuple[int, tuple[int, int, int, int]], ...] = (
    (201301, (2_350_000, 2_100_000, 1_800_000, 1_650_000)),
    (201401, (2_700_000, 2_400_000, 2_100_000, 1_900_000)),
    (201501, (3_100_000, 2_750_000, 2_400_000, 2_150_000)),
    (201601, (3_500_000, 3_100_000, 2_700_000, 2_400_000)),
    (201701, (3_750_000, 3_320_000, 2_900_000, 2_580_000)),
    (201801, (3_980_000, 3_530_000, 3_090_000, 2_760_000)),
    (201901, (4_180_000, 3_710_000, 3_250_000, 2_920_000)),
    (202001, (4_420_000, 3_920_000, 3_430_000, 3_070_000)),
    (202207, (4_680_000, 4_160_000, 3_640_000, 3_250_000)),
    (202407, (4_960_000, 4_410_000, 3_860_000, 3_450_000)),
    (202601, (5_310_000, 4_730_000, 4_140_000, 3_700_000)),
)
SALARY_CAP_MULTIPLE = 20  # BHXH/BHYT salary cap: 20 x base salary
BHTN_START = 200901  # unemployment insurance began on 2009-01-01

# Mức hưởng by beneficiary group (mã đối tượng); every other group is level 4 (80%).
_LEVEL_BY_GROUP: dict[str, int] = {
    **dict.fromkeys(("CC", "TE"), 1),
    **dict.fromkeys(("CK", "KC", "HN", "DT", "DK", "XD", "BT", "TS"), 2),
    **dict.fromkeys(("HT", "TC", "CN"), 3),
    **dict.fromkeys(("QN", "CA", "CY"), 5),
}
BENEFICIARY_GROUPS: frozenset[str] = frozenset(
    [
        "DN",
        "HX",
        "CH",
        "NN",
        "TK",
        "HC",
        "XK",
        "HT",
        "TB",
        "NO",
        "CT",
        "XB",
        "TN",
        "CS",
        "QN",
        "CA",
        "CY",
        "XN",
        "MS",
        "CC",
        "CK",
        "CB",
        "KC",
        "HD",
        "TE",
        "BT",
        "HN",
        "DT",
        "DK",
        "XD",
        "TS",
        "TC",
        "TQ",
        "TA",
        "TY",
        "HG",
        "LS",
        "PV",
        "CN",
        "HS",
        "SV",
        "GB",
        "GD",
    ]
)
# Share of a visit's cost the fund pays, by benefit level (before the special cases).
FUND_SHARE: dict[int, Decimal] = {
    1: Decimal("1.00"),
    2: Decimal("1.00"),
    3: Decimal("0.95"),
    4: Decimal("0.80"),
    5: Decimal("1.00"),
}


def _in_force(table: tuple[tuple[int, object], ...], month: int) -> object | None:
    value = None
    for start, amount in table:
        if start <= month:
            value = amount
    return value


def base_salary(month: int) -> int:
    """The base salary in force in YYYYMM (the earliest known before 2006-10)."""
    value = _in_force(BASE_SALARY, month)  # type: ignore[arg-type]
    return int(value) if value is not None else BASE_SALARY[0][1]  # type: ignore[call-overload]


def regional_minimum(month: int, region: int) -> int | None:
    wages = _in_force(REGIONAL_MINIMUM, month)  # type: ignore[arg-type]
    return None if wages is None else int(wages[region - 1])  # type: ignore[index]


def salary_bounds(month: int, region: int, *, state_sector: bool) -> tuple[Decimal, Decimal]:
    """The legal range of a contribution salary in YYYYMM.

    State-sector salaries are coefficient x base salary (lowest coefficient 1.0); enterprise
    salaries may not be below the regional minimum wage. The cap is 20 x base salary.
    """
    base = base_salary(month)
    cap = Decimal(SALARY_CAP_MULTIPLE * base)
    minimum = regional_minimum(month, region)
    floor = Decimal(base if state_sector or minimum is None else minimum)
    return floor, cap


def month_of(day: date) -> int:
    return day.year * 100 + day.month


def salary_cap(month: int, insurance_type: str, region: int) -> tuple[Decimal, str]:
    """The highest contribution salary in YYYYMM, and how it is made (for the message).

    BHXH, BHYT and TNLĐ: 20 x the base salary (Law 58/2014 art. 89; Law 25/2008 art. 14). BHTN:
    20 x the regional minimum wage of the unit's region (Law on Employment 38/2013 art. 58), for
    enterprise and state scale alike (unconfirmed for the state scale, whose BHTN cap is 20 x the
    base salary in the same article: the higher of the two is applied so that no lawful salary is
    refused). Before regional minimum wages were known here (2013), 20 x the base salary.
    """
    base = base_salary(month)
    if insurance_type == "UNEMPLOYMENT":
        minimum = regional_minimum(month, region)
        if minimum is not None and minimum > base:
            return Decimal(SALARY_CAP_MULTIPLE * minimum), (
                f"BHTN salary above 20 × the regional minimum: at most {SALARY_CAP_MULTIPLE * minimum:,} VND "
                f"in region {ROMAN[region]} in {month // 100}"
            )
    return Decimal(SALARY_CAP_MULTIPLE * base), (
        f"salary above 20 × the base salary: at most {SALARY_CAP_MULTIPLE * base:,} VND in {month // 100:04d}-{month % 100:02d}"
    )


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# Contribution rates, employer + employee together (the state's share of BHTN not counted), by
# insurance type and the YYYYMM they took effect. Sources:
#   SOCIAL: Decree 12/CP (1995) 15% + 5%; Law 71/2006/QH11 art. 91-92: employee 5% from 2007 and
#   +1% every two years from 2010 to 8% (2014), employer 15% (11 retirement, 3 sickness, 1 TNLĐ)
#   +1% every two years to 18% (2014); Law 58/2014 and Law 84/2015: TNLĐ shown apart from 2016-07
#   (so SOCIAL drops by 1%); Decree 44/2017: employer 17.5% = 14 + 3 + 0.5 TNLĐ from 2017-06.
#   OCCUPATIONAL_ACCIDENT: 1% 2016-07 (Decree 37/2016), 0.5% from 2017-06 (Decree 44/2017), 0% from
#   2021-07 to 2022-06 (Resolution 68/NQ-CP; applied to every employer here, unconfirmed for the few
#   it excluded), 0.5% again from 2022-07 (Decree 58/2020).
#   HEALTH: 3% (2 + 1, Decree 58/1998 and 63/2005); 4.5% (3 + 1.5) from 2010-01 (Decree 62/2009).
#   UNEMPLOYMENT: 1% + 1% from 2009-01 (Law 71/2006 art. 102); employer 0% from 2021-10 to 2022-09
#   (Resolution 116/NQ-CP).
#   Years before 1995 are unconfirmed: the 1995 rates are applied.
CONTRIBUTION_RATES: dict[str, tuple[tuple[int, Decimal], ...]] = {
    "SOCIAL": (
        (0, Decimal("0.20")),
        (201001, Decimal("0.22")),
        (201201, Decimal("0.24")),
        (201401, Decimal("0.26")),
        (201607, Decimal("0.25")),
    ),
    "OCCUPATIONAL_ACCIDENT": (
        (0, Decimal("0")),  # part of SOCIAL before 2016-07
        (201607, Decimal("0.01")),
        (201706, Decimal("0.005")),
        (202107, Decimal("0")),
        (202207, Decimal("0.005")),
    ),
    "HEALTH": ((0, Decimal("0.03")), (201001, Decimal("0.045"))),
    "UNEMPLOYMENT": ((0, Decimal("0.02")), (202110, Decimal("0.01")), (202210, Decimal("0.02"))),
}


def contribution_rate(insurance_type: str, month: int) -> Decimal:
    """The combined rate in force in YYYYMM."""
    return Decimal(_in_force(CONTRIBUTION_RATES[insurance_type], month))  # type: ignore[arg-type]


def yearly_rate(insurance_type: str, year: int) -> Decimal:
    """The rate of a calendar year: the mean of its months' rates (rates change mid-year; the
    yearly totals do not say which months a salary was paid in)."""
    months = [contribution_rate(insurance_type, year * 100 + m) for m in range(1, 13)]
    return sum(months, Decimal(0)) / 12


def retirement_age_months(gender: str | None, year: int) -> int:
    """The normal retirement age in months, for someone retiring in `year` (Labour Code 2019 art.
    169, Decree 135/2020): men 60 years 3 months in 2021, +3 months a year to 62 (2028); women 55
    years 4 months in 2021, +4 months a year to 60 (2035); 60 and 55 before 2021. Retirement up to
    5 years earlier (reduced capacity, arduous work) is not modelled: it needs a decision not
    recorded here."""
    if gender == "FEMALE":
        return 55 * 12 if year <= 2020 else min(60 * 12, 55 * 12 + 4 * (year - 2020))
    return 60 * 12 if year <= 2020 else min(62 * 12, 60 * 12 + 3 * (year - 2020))


def age_in_months(born: date, on: date) -> int:
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - (1 if on.day < born.day else 0)


def years_months(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} years" + (f" {rest} months" if rest else "")


def benefit_level(group: str) -> int:
    return _LEVEL_BY_GROUP.get(group, 4)


def card_number(group: str, province_code: str, social_insurance_code: str) -> str:
    """XX X XX XXXXXXXXXX: group, level, province, social-insurance code."""
    return f"{group}{benefit_level(group)}{province_code}{social_insurance_code}"


# ---------- household BHYT (BHYT hộ gia đình) ----------

# Law 25/2008 art. 13.1.e as amended by Law 46/2014, Decree 146/2018/NĐ-CP art. 7.1.e: the first
# member pays 4.5% of the base salary a month, the second 70% of the first's, the third 60%, the
# fourth 50%, the fifth and every further one 40%.
HOUSEHOLD_RATE = Decimal("0.045")
HOUSEHOLD_SHARES: tuple[Decimal, ...] = (
    Decimal("1"),
    Decimal("0.7"),
    Decimal("0.6"),
    Decimal("0.5"),
    Decimal("0.4"),
)
# Decree 146/2018/NĐ-CP art. 34.2 (how household BHYT is paid): 3, 6 or 12 months at a time
# (article number unconfirmed; the periods are what the offices publish).
HOUSEHOLD_PERIODS: tuple[int, ...] = (3, 6, 12)
# Law 46/2014 art. 1.9 (art. 16.3 of the BHYT law as amended): a first card, or one after a break
# of 3 months or more in the fiscal year, is valid 30 days after the payment; otherwise from it.
HOUSEHOLD_WAIT_DAYS = 30
HOUSEHOLD_BREAK_MONTHS = 3
# Civil Code 2015 art. 20: an adult is 18 or older (who may revoke the head's view of their card).
ADULT_AGE = 18


def household_share(rank: int) -> Decimal:
    """The part of the first member's amount the `rank`-th charged member pays (1-based)."""
    return HOUSEHOLD_SHARES[min(rank, len(HOUSEHOLD_SHARES)) - 1]


def household_monthly(rank: int, month: int) -> Decimal:
    """What the `rank`-th charged member of a household pays a month, in VND, for YYYYMM."""
    first = HOUSEHOLD_RATE * base_salary(month)
    return (first * household_share(rank)).quantize(Decimal("1"))


def is_adult(born: date | None, on: date) -> bool:
    """18 or older on `on`; an unknown date of birth is not taken for an adult."""
    return born is not None and age_in_months(born, on) >= ADULT_AGE * 12
