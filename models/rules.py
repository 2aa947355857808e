"""Domain rules of Vietnamese social and health insurance (see the domain facts).

Pure functions shared by the seed and the data-entry mutations, so both agree.
"""

from __future__ import annotations

from decimal import Decimal

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


def benefit_level(group: str) -> int:
    return _LEVEL_BY_GROUP.get(group, 4)


def card_number(group: str, province_code: str, social_insurance_code: str) -> str:
    """XX X XX XXXXXXXXXX: group, level, province, social-insurance code."""
    return f"{group}{benefit_level(group)}{province_code}{social_insurance_code}"
