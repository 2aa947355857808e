"""Domain rules of Vietnamese social and health insurance (see the domain facts), in one place.

`law`: the numbers (base salary, minimum wages, caps, rates, levels, retirement ages).
`records`: the rules a record must obey, with the person and their other records: the data-entry
mutations, the corrections and the seed all check through these functions, so they agree.
"""

from models.rules.law import *  # noqa: F403
from models.rules.law import (
    BASE_SALARY,
    BENEFICIARY_GROUPS,
    BHTN_START,
    CONTRIBUTION_RATES,
    FUND_SHARE,
    REGIONAL_MINIMUM,
    SALARY_CAP_MULTIPLE,
    Violation,
    age_in_months,
    base_salary,
    benefit_level,
    card_number,
    contribution_rate,
    month_of,
    regional_minimum,
    retirement_age_months,
    salary_bounds,
    salary_cap,
    yearly_rate,
)

__all__ = [
    "BASE_SALARY",
    "BENEFICIARY_GROUPS",
    "BHTN_START",
    "CONTRIBUTION_RATES",
    "FUND_SHARE",
    "REGIONAL_MINIMUM",
    "SALARY_CAP_MULTIPLE",
    "Violation",
    "age_in_months",
    "base_salary",
    "benefit_level",
    "card_number",
    "contribution_rate",
    "month_of",
    "regional_minimum",
    "retirement_age_months",
    "salary_bounds",
    "salary_cap",
    "yearly_rate",
]
