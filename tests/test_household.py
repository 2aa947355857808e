"""Household BHYT: the scale and its order, members covered elsewhere, the months, payments by
collection agents in their catchment, cards per member, each role's view, and the head's
delegated view of the members' cards (revocable by adult members, in the access log)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from models import rules
from models.rules.records import (
    CardFact,
    add_months,
    check_household_months,
    covered_elsewhere,
    household_window,
)
from models.tables import (
    access_log_t,
    audit_t,
    card_t,
    event_t,
    facility_t,
    household_member_t,
    household_payment_t,
    household_t,
    person_t,
)
from models.text import fold
from models.types import VIETNAM_TZ
from tests.conftest import Api, Factory, codes
from tests.transports import TRANSPORTS, Ways

WARD, DISTRICT = "09763", "272"  # the golden person's commune: in agent.hanoi's catchment
DEMO_HOUSEHOLD = "GD0976300001"
FACILITY = "01929"

HOUSEHOLD = """query($c: String!) { household(code: $c) { code provinceCode wardCode
  members { position isHead delegated socialInsuranceCode fullName } } }"""
CARDS = """query($c: String!) { household(code: $c) { code members { position fullName
  card { number beneficiaryGroup validFrom validTo status } } } }"""
MINE = "{ myHousehold { code members { position isHead } } }"
QUOTE = """query($input: HouseholdQuoteInput!) { quoteHouseholdContribution(input: $input) {
  householdCode months paidOn baseSalary total
  lines { rank coveredElsewhere share monthlyAmount amount validFrom validTo member { position } } } }"""
CREATE = """mutation($input: CreateHouseholdInput!) { createHousehold(input: $input) { __typename
  ... on CreateHouseholdSuccess { household { code wardCode members { position isHead socialInsuranceCode } } }
  ... on HouseholdInvalidInput { errors { field code message } }
  ... on NotAllowed { message } } }"""
ADD = """mutation($input: AddHouseholdMemberInput!) { addHouseholdMember(input: $input) { __typename
  ... on AddHouseholdMemberSuccess { household { members { position socialInsuranceCode } } }
  ... on HouseholdInvalidInput { errors { field code message } }
  ... on NotAllowed { message } } }"""
PAY = """mutation($input: RecordHouseholdPaymentInput!) { recordHouseholdPayment(input: $input) { __typename
  ... on RecordHouseholdPaymentSuccess { household { code } payment { paidOn months amount agentCode } }
  ... on HouseholdInvalidInput { errors { field code message } }
  ... on NotAllowed { message } } }"""
REVOKE = """mutation($input: RevokeHouseholdDelegationInput!) { revokeHouseholdDelegation(input: $input) { __typename
  ... on RevokeHouseholdDelegationSuccess { household { code } }
  ... on HouseholdInvalidInput { errors { field code message } }
  ... on NotAllowed { message } } }"""
RESTORE = """mutation($input: RestoreHouseholdDelegationInput!) { restoreHouseholdDelegation(input: $input) {
  __typename ... on RestoreHouseholdDelegationSuccess { household { code members { position delegated } } }
  ... on HouseholdInvalidInput { errors { field code message } }
  ... on NotAllowed { message } } }"""
REMOVE = """mutation($input: RemoveHouseholdMemberInput!) { removeHouseholdMember(input: $input) { __typename
  ... on RemoveHouseholdMemberSuccess { household { code members { position socialInsuranceCode } } }
  ... on HouseholdInvalidInput { errors { field code message } }
  ... on NotAllowed { message } } }"""


def today() -> date:
    return datetime.now(VIETNAM_TZ).date()


async def resident(
    api: Api,
    name: str = "Nguyễn Văn Hộ",
    born: date = date(1980, 1, 1),
    ward: str = WARD,
    district: str = DISTRICT,
) -> Any:
    """A new person living in `ward` of Hà Nội, for one test."""
    async with api.app.state.runtime.sessionmaker() as session:
        while True:
            code = f"018{secrets.randbelow(10**7):07d}"
            if (
                await session.execute(select(person_t.c.id).where(person_t.c.social_insurance_code == code))
            ).first() is None:
                break
        await session.execute(
            insert(person_t).values(
                social_insurance_code=code,
                full_name=name,
                search_name=fold(name),
                gender="MALE",
                date_of_birth=born,
                province_scope="01",
                address_scheme="2004",
                province_code="01",
                district_code=district,
                ward_code=ward,
            )
        )
        await session.commit()
        return (await session.execute(select(person_t).where(person_t.c.social_insurance_code == code))).one()


async def other_ward(api: Api) -> tuple[str, str]:
    """A ward of Hà Nội outside agent.hanoi's catchment."""
    from models.tables import admin_unit_t, catchment_t

    async with api.app.state.runtime.sessionmaker() as session:
        row = (
            await session.execute(
                select(admin_unit_t.c.code, admin_unit_t.c.parent_code)
                .where(
                    admin_unit_t.c.scheme == "2004",
                    admin_unit_t.c.level == "WARD",
                    admin_unit_t.c.province_code == "01",
                    admin_unit_t.c.code.not_in(select(catchment_t.c.ward_code)),
                )
                .order_by(admin_unit_t.c.code)
                .limit(1)
            )
        ).one()
    return row.code, row.parent_code


async def give_card(api: Api, person: Any, group: str, valid_from: date, valid_to: date | None) -> None:
    """A card of another group, written directly (how it was paid for is not this test's)."""
    async with api.app.state.runtime.sessionmaker() as session:
        facility = (
            await session.execute(select(facility_t.c.id).where(facility_t.c.code == FACILITY))
        ).scalar_one()
        await session.execute(
            insert(card_t).values(
                number=rules.card_number(group, "01", person.social_insurance_code),
                social_insurance_code=person.social_insurance_code,
                person_id=person.id,
                beneficiary_group=group,
                benefit_level=rules.benefit_level(group),
                province_code="01",
                valid_from=valid_from,
                valid_to=valid_to,
                suspended=False,
                primary_care_facility_id=facility,
            )
        )
        await session.commit()


async def household_of(api: Api, people: list[Any], as_: str = "officer.hanoi") -> str:
    codes_ = [p.social_insurance_code for p in people]
    result = (
        await api.data(
            CREATE,
            {"input": {"headSocialInsuranceCode": codes_[0], "memberSocialInsuranceCodes": codes_}},
            as_=as_,
        )
    )["createHousehold"]
    assert result["__typename"] == "CreateHouseholdSuccess", result
    return str(result["household"]["code"])


async def counts(api: Api) -> tuple[int, ...]:
    out = []
    async with api.app.state.runtime.sessionmaker() as session:
        for table in (household_t, household_member_t, household_payment_t, card_t, event_t, audit_t):
            out.append(int(await session.scalar(select(func.count()).select_from(table)) or 0))
    return tuple(out)


def problems(result: dict[str, Any]) -> list[tuple[str, str]]:
    assert result["__typename"] == "HouseholdInvalidInput", result
    return [(".".join(e["field"]), e["code"]) for e in result["errors"]]


# ---------- the rules, alone ----------


def test_household_monthly_scale_100_70_60_50_40() -> None:
    # 4.5% of 2,340,000 (from 2024-07), then 70/60/50% of it, 40% from the 5th member on.
    assert [rules.household_monthly(rank, 202612) for rank in range(1, 8)] == [
        Decimal(v) for v in (105_300, 73_710, 63_180, 52_650, 42_120, 42_120, 42_120)
    ]
    # The base salary in force in the month of payment: 1,800,000 from 2023-07.
    assert rules.household_monthly(1, 202401) == Decimal(81_000)
    assert rules.household_monthly(2, 202401) == Decimal(56_700)


def test_household_months_only_3_6_12() -> None:
    assert [check_household_months(m) for m in (3, 6, 12)] == [[], [], []]
    assert [v.code for m in (0, -3) for v in check_household_months(m)] == ["MONTHS_NOT_POSITIVE"] * 2
    assert [v.code for v in check_household_months(13)] == ["MONTHS_TOO_MANY"]
    assert [v.code for m in (1, 5, 7) for v in check_household_months(m)] == ["MONTHS_NOT_A_PERIOD"] * 3


def test_household_window_first_card_continued_and_after_a_break() -> None:
    paid = date(2026, 12, 2)
    # A first card: 30 days after the payment.
    first = household_window(None, paid, 3)
    assert (first.valid_from, first.valid_to, first.continued) == (date(2027, 1, 1), date(2027, 3, 31), False)
    # The household card in force: from the day after it ends.
    going = household_window(CardFact(1, "GD", date(2026, 1, 1), date(2026, 12, 31)), paid, 6)
    assert (going.valid_from, going.valid_to, going.continued) == (date(2027, 1, 1), date(2027, 6, 30), True)
    # Ended less than 3 months ago: from the payment; 3 months or more: 30 days after it.
    short = household_window(CardFact(1, "GD", date(2026, 1, 1), date(2026, 10, 31)), paid, 12)
    assert (short.valid_from, short.valid_to) == (paid, date(2027, 12, 1))
    long = household_window(CardFact(1, "GD", date(2025, 1, 1), date(2026, 8, 31)), paid, 3)
    assert long.valid_from == paid + timedelta(days=30)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


def test_covered_elsewhere_other_groups_only_in_the_window() -> None:
    window = household_window(None, date(2026, 12, 2), 12)
    assert covered_elsewhere([CardFact(1, "HS", date(2026, 9, 1), None)], window) is not None
    assert (
        covered_elsewhere([CardFact(1, "DN", date(2020, 1, 1), date(2026, 12, 31))], window) is None
    )  # ended
    assert covered_elsewhere([CardFact(1, "DN", date(2020, 1, 1), None, suspended=True)], window) is None
    assert (
        covered_elsewhere([CardFact(1, "GD", date(2020, 1, 1), None)], window) is None
    )  # the household's own


# ---------- households and members ----------


async def test_create_household_head_first_and_code_of_the_ward(api: Api) -> None:
    head, spouse = await resident(api), await resident(api, "Trần Thị Vợ")
    codes_ = [spouse.social_insurance_code, head.social_insurance_code]
    result = (
        await api.data(
            CREATE,
            {
                "input": {
                    "headSocialInsuranceCode": head.social_insurance_code,
                    "memberSocialInsuranceCodes": codes_,
                }
            },
            as_="officer.hanoi",
        )
    )["createHousehold"]
    assert result["__typename"] == "CreateHouseholdSuccess", result
    household = result["household"]
    assert household["code"].startswith(f"GD{WARD}") and len(household["code"]) == 12
    assert household["wardCode"] == WARD
    assert [(m["position"], m["isHead"], m["socialInsuranceCode"]) for m in household["members"]] == [
        (1, True, head.social_insurance_code),
        (2, False, spouse.social_insurance_code),
    ]


async def test_create_household_bad_input_each_specific_nothing_stored(api: Api) -> None:
    head, member, taken = await resident(api), await resident(api), await resident(api)
    existing = await household_of(api, [taken])
    before = await counts(api)
    result = (
        await api.data(
            CREATE,
            {
                "input": {
                    "headSocialInsuranceCode": head.social_insurance_code,
                    "memberSocialInsuranceCodes": [
                        member.social_insurance_code,
                        member.social_insurance_code,
                        "0199999999",
                        "12ab",
                        taken.social_insurance_code,
                    ],
                }
            },
            as_="officer.hanoi",
        )
    )["createHousehold"]
    assert sorted(problems(result)) == sorted(
        [
            ("input.memberSocialInsuranceCodes.1", "DUPLICATE_MEMBER"),
            ("input.memberSocialInsuranceCodes.2", "NOT_FOUND"),
            ("input.memberSocialInsuranceCodes.3", "FORMAT"),
            ("input.memberSocialInsuranceCodes.4", "ALREADY_IN_HOUSEHOLD"),
            ("input.headSocialInsuranceCode", "HEAD_NOT_MEMBER"),
        ]
    )
    # The officer may see that household: it is named.
    assert any(existing in e["message"] for e in result["errors"] if e["code"] == "ALREADY_IN_HOUSEHOLD")
    assert await counts(api) == before


async def test_add_household_member_already_in_another_household_not_named_out_of_scope(api: Api) -> None:
    """The agent learns that the person is in a household, never which one when that household
    is outside its catchment."""
    ward, district = await other_ward(api)
    away_head = await resident(api, ward=ward, district=district)
    mover = await resident(api)  # lives in the catchment, but is in a household headed elsewhere
    away = await household_of(api, [away_head, mover])
    mine = await household_of(api, [await resident(api)], as_="agent.hanoi")
    before = await counts(api)
    result = (
        await api.data(
            ADD,
            {"input": {"householdCode": mine, "socialInsuranceCode": mover.social_insurance_code}},
            as_="agent.hanoi",
        )
    )["addHouseholdMember"]
    assert problems(result) == [("input.socialInsuranceCode", "ALREADY_IN_HOUSEHOLD")]
    assert (
        away not in result["errors"][0]["message"] and "another household" in result["errors"][0]["message"]
    )
    assert await counts(api) == before
    # And the agent cannot add anyone to a household outside its catchment: not found.
    outside = (
        await api.data(
            ADD,
            {
                "input": {
                    "householdCode": away,
                    "socialInsuranceCode": (await resident(api)).social_insurance_code,
                }
            },
            as_="agent.hanoi",
        )
    )["addHouseholdMember"]
    assert problems(outside) == [("input.householdCode", "NOT_FOUND")]


async def test_add_household_member_appends_in_order(api: Api) -> None:
    head, child = await resident(api), await resident(api, born=date(2015, 5, 5))
    code = await household_of(api, [head])
    result = (
        await api.data(
            ADD,
            {"input": {"householdCode": code, "socialInsuranceCode": child.social_insurance_code}},
            as_="officer.hanoi",
        )
    )["addHouseholdMember"]
    assert [m["position"] for m in result["household"]["members"]] == [1, 2]


@pytest.mark.parametrize("viewer", ["0113099841", "partner.hospital", "partner.employer", "analyst"])
async def test_create_household_not_allowed_for_others(api: Api, viewer: str) -> None:
    head = await resident(api)
    result = (
        await api.data(
            CREATE,
            {
                "input": {
                    "headSocialInsuranceCode": head.social_insurance_code,
                    "memberSocialInsuranceCodes": [head.social_insurance_code],
                }
            },
            as_=viewer,
        )
    )["createHousehold"]
    assert result["__typename"] == "NotAllowed"


# ---------- the quote ----------


async def test_quote_household_contribution_order_and_exemption(api: Api) -> None:
    """Six members, the third a pupil with an HS card: five are charged, 100/70/60/50/40%, and the
    pupil counts in neither the amount nor the order."""
    people = [await resident(api, f"Thành Viên {i}") for i in range(6)]
    await give_card(api, people[2], "HS", date(2025, 9, 1), None)
    code = await household_of(api, people)
    quote = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 12}}, as_="officer.hanoi"))[
        "quoteHouseholdContribution"
    ]
    base = rules.base_salary(rules.month_of(today()))
    first = (Decimal(base) * Decimal("0.045")).quantize(Decimal(1))
    monthly = [(first * Decimal(s)).quantize(Decimal(1)) for s in ("1", "0.7", "0.6", "0.5", "0.4")]
    lines = quote["lines"]
    assert [line["rank"] for line in lines] == [1, 2, None, 3, 4, 5]
    assert [line["coveredElsewhere"] for line in lines] == [False, False, True, False, False, False]
    charged = [line for line in lines if line["rank"] is not None]
    assert [Decimal(line["monthlyAmount"]) for line in charged] == monthly
    assert [Decimal(line["amount"]) for line in charged] == [m * 12 for m in monthly]
    assert Decimal(quote["total"]) == sum(monthly) * 12 and quote["baseSalary"] == base
    assert lines[2]["amount"] in ("0", "0.00", 0) and lines[2]["validFrom"] is None
    # A first card: 30 days after the payment, for 12 months.
    start = today() + timedelta(days=30)
    assert (lines[0]["validFrom"], lines[0]["validTo"]) == (
        start.isoformat(),
        (add_months(start, 12) - timedelta(days=1)).isoformat(),
    )


@pytest.mark.parametrize(
    ("months", "word"), [(0, "3, 6, 12"), (-6, "3, 6, 12"), (13, "at most 12"), (5, "3, 6, 12")]
)
async def test_quote_household_contribution_months_refused(api: Api, months: int, word: str) -> None:
    body = await api.post(
        QUOTE, {"input": {"householdCode": DEMO_HOUSEHOLD, "months": months}}, as_="officer.hanoi"
    )
    assert codes(body) == ["BAD_USER_INPUT"] and word in body["errors"][0]["message"]


async def test_quote_household_contribution_demo_household_pays_for_three(api: Api) -> None:
    quote = (
        await api.data(QUOTE, {"input": {"householdCode": DEMO_HOUSEHOLD, "months": 3}}, as_="agent.hanoi")
    )["quoteHouseholdContribution"]
    assert [line["rank"] for line in quote["lines"]] == [1, 2, None, 3]  # the pupil (HS) is covered


# ---------- payments ----------


async def test_record_household_payment_issues_then_extends_cards(api: Api) -> None:
    head, spouse, worker = await resident(api), await resident(api), await resident(api)
    await give_card(api, worker, "DN", date(2024, 1, 1), None)  # insured at work: not charged
    code = await household_of(api, [head, spouse, worker])
    due = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 6}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]["total"]
    first = rules.household_monthly(1, rules.month_of(today()))
    assert Decimal(due) == (first + rules.household_monthly(2, rules.month_of(today()))) * 6
    before = await counts(api)
    wrong = (
        await api.data(
            PAY,
            {
                "input": {
                    "householdCode": code,
                    "months": 6,
                    "amountPaid": str(Decimal(due) - 1),
                    "primaryCareFacilityCode": FACILITY,
                }
            },
            as_="agent.hanoi",
        )
    )["recordHouseholdPayment"]
    assert (
        problems(wrong) == [("input.amountPaid", "AMOUNT_MISMATCH")]
        and f"{Decimal(due):,.0f}" in wrong["errors"][0]["message"]
    )
    assert await counts(api) == before
    paid = (
        await api.data(
            PAY,
            {
                "input": {
                    "householdCode": code,
                    "months": 6,
                    "amountPaid": due,
                    "primaryCareFacilityCode": FACILITY,
                }
            },
            as_="agent.hanoi",
        )
    )["recordHouseholdPayment"]
    assert paid["__typename"] == "RecordHouseholdPaymentSuccess", paid
    assert paid["payment"]["months"] == 6 and paid["payment"]["agentCode"] == "DL01001"
    assert Decimal(paid["payment"]["amount"]) == Decimal(due)
    cards = (await api.data(CARDS, {"c": code}, as_="officer.hanoi"))["household"]["members"]
    start = today() + timedelta(days=30)
    end = add_months(start, 6) - timedelta(days=1)
    assert [
        (m["card"]["beneficiaryGroup"], m["card"]["validFrom"], m["card"]["validTo"]) for m in cards[:2]
    ] == [("GD", start.isoformat(), end.isoformat())] * 2
    assert cards[2]["card"]["beneficiaryGroup"] == "DN"  # the worker got no household card
    # Through the card writes: an event and an audit row per card, and the payment's audit row.
    async with api.app.state.runtime.sessionmaker() as session:
        issued = (
            (
                await session.execute(
                    select(card_t.c.id).where(
                        card_t.c.person_id.in_([head.id, spouse.id]), card_t.c.beneficiary_group == "GD"
                    )
                )
            )
            .scalars()
            .all()
        )
        kinds = (
            (
                await session.execute(
                    select(event_t.c.type).where(
                        event_t.c.subject_type == "HealthInsuranceCard", event_t.c.subject_id.in_(issued)
                    )
                )
            )
            .scalars()
            .all()
        )
        actions = (
            (
                await session.execute(
                    select(audit_t.c.action).where(
                        audit_t.c.subject_type == "HealthInsuranceCard", audit_t.c.subject_id.in_(issued)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(kinds) == ["CARD_ISSUED", "CARD_ISSUED"] and actions == ["recordHouseholdPayment"] * 2
    # The next payment goes on from the end of these cards, with nothing more than the amount.
    again = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]
    assert again["lines"][0]["validFrom"] == (end + timedelta(days=1)).isoformat()
    extended = (
        await api.data(
            PAY,
            {"input": {"householdCode": code, "months": 3, "amountPaid": again["total"]}},
            as_="agent.hanoi",
        )
    )["recordHouseholdPayment"]
    assert extended["__typename"] == "RecordHouseholdPaymentSuccess", extended
    cards = (await api.data(CARDS, {"c": code}, as_="officer.hanoi"))["household"]["members"]
    assert (cards[0]["card"]["validFrom"], cards[0]["card"]["validTo"]) == (
        start.isoformat(),
        (add_months(end + timedelta(days=1), 3) - timedelta(days=1)).isoformat(),
    )
    payments = await api.data(
        "query($c: String!) { household(code: $c) { payments { months } } }",
        {"c": code},
        as_="officer.hanoi",
    )
    assert [p["months"] for p in payments["household"]["payments"]] == [3, 6]
    # What was stored is what seed/check.py holds every database to.
    from seed.check import violations

    async with api.app.state.runtime.engine.connect() as conn:
        found = await violations(conn, today())
    assert [v for v in found if v.startswith(("household", "payment"))] == []
    assert not [v for v in found if head.social_insurance_code in v or spouse.social_insurance_code in v]


async def test_record_household_payment_bad_input_each_specific_nothing_stored(api: Api) -> None:
    head = await resident(api)
    code = await household_of(api, [head])
    before = await counts(api)
    for months, expected in ((0, "MONTHS_NOT_POSITIVE"), (24, "MONTHS_TOO_MANY"), (4, "MONTHS_NOT_A_PERIOD")):
        result = (
            await api.data(
                PAY,
                {"input": {"householdCode": code, "months": months, "amountPaid": "1"}},
                as_="agent.hanoi",
            )
        )["recordHouseholdPayment"]
        assert problems(result) == [("input.months", expected)]
    # A first card needs a place of primary care; a negative amount is refused as such.
    due = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]["total"]
    no_facility = (
        await api.data(
            PAY, {"input": {"householdCode": code, "months": 3, "amountPaid": due}}, as_="agent.hanoi"
        )
    )["recordHouseholdPayment"]
    assert problems(no_facility) == [
        ("input.members.1.primaryCareFacilityCode", "PRIMARY_CARE_FACILITY_REQUIRED")
    ]
    negative = (
        await api.data(
            PAY, {"input": {"householdCode": code, "months": 3, "amountPaid": "-5"}}, as_="agent.hanoi"
        )
    )["recordHouseholdPayment"]
    assert problems(negative) == [("input.amountPaid", "NEGATIVE")]
    # Everyone covered elsewhere: nothing is due.
    covered = await resident(api)
    await give_card(api, covered, "HT", date(2024, 1, 1), None)
    nobody = await household_of(api, [covered])
    nothing = (
        await api.data(
            PAY, {"input": {"householdCode": nobody, "months": 3, "amountPaid": "0"}}, as_="agent.hanoi"
        )
    )["recordHouseholdPayment"]
    assert problems(nothing) == [("input", "NOTHING_DUE")]
    after = await counts(api)
    assert after[2] == before[2] and after[3] == before[3] + 1  # no payment; no card but the HT one


async def test_record_household_payment_outside_catchment_looks_not_found(api: Api) -> None:
    ward, district = await other_ward(api)
    code = await household_of(api, [await resident(api, ward=ward, district=district)])
    before = await counts(api)
    result = (
        await api.data(
            PAY, {"input": {"householdCode": code, "months": 3, "amountPaid": "315900"}}, as_="agent.hanoi"
        )
    )["recordHouseholdPayment"]
    assert problems(result) == [("input.householdCode", "NOT_FOUND")]
    # Nor does the agent read it: out of its catchment, a household is not there.
    assert (await api.data(HOUSEHOLD, {"c": code}, as_="agent.hanoi"))["household"] is None
    quote = await api.data(QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="agent.hanoi")
    assert quote["quoteHouseholdContribution"] is None
    assert (await api.data(HOUSEHOLD, {"c": code}, as_="officer.hanoi"))["household"]["code"] == code
    unknown = (
        await api.data(
            PAY,
            {"input": {"householdCode": "GD0000099999", "months": 3, "amountPaid": "315900"}},
            as_="agent.hanoi",
        )
    )["recordHouseholdPayment"]
    assert (
        problems(unknown) == problems(result)
        and unknown["errors"][0]["message"].replace("GD0000099999", code) == result["errors"][0]["message"]
    )
    for viewer in ("officer.hanoi", "0113099841", "partner.hospital", "admin"):
        refused = (
            await api.data(
                PAY, {"input": {"householdCode": code, "months": 3, "amountPaid": "1"}}, as_=viewer
            )
        )["recordHouseholdPayment"]
        assert refused["__typename"] == "NotAllowed", viewer
    assert await counts(api) == before


# ---------- who sees what ----------


async def test_household_each_role_view(api: Api) -> None:
    """The demo household: the golden person heads it, the pupil's card is the one card besides his."""
    members_of = "query($c: String!) { household(code: $c) { code members { position } } }"
    for viewer in ("officer.hanoi", "admin", "agent.hanoi", "0113099841"):
        found = (await api.data(members_of, {"c": DEMO_HOUSEHOLD}, as_=viewer))["household"]
        assert found is not None and len(found["members"]) == 4, viewer
    for viewer in ("officer.hcm", "analyst", "partner.hospital", "partner.employer"):
        assert (await api.data(members_of, {"c": DEMO_HOUSEHOLD}, as_=viewer))["household"] is None, viewer
    assert codes(await api.post(members_of, {"c": DEMO_HOUSEHOLD})) == ["UNAUTHENTICATED"]
    # The agent names the members it collects for, and reads no card.
    named = (await api.data(HOUSEHOLD, {"c": DEMO_HOUSEHOLD}, as_="agent.hanoi"))["household"]["members"]
    assert named[0]["fullName"] == "Nguyễn Thành Biên"
    body = await api.post(CARDS, {"c": DEMO_HOUSEHOLD}, as_="agent.hanoi")
    assert set(codes(body)) == {"FORBIDDEN"}
    # Another citizen: not their household; the golden person's own is his (myHousehold).
    other = await resident(api)
    username = await Factory(api.app).citizen(person=other)
    assert (await api.data(members_of, {"c": DEMO_HOUSEHOLD}, as_=username))["household"] is None
    assert (await api.data(MINE, as_=username))["myHousehold"] is None
    mine = (await api.data(MINE, as_="0113099841"))["myHousehold"]
    assert mine["code"] == DEMO_HOUSEHOLD and mine["members"][0]["isHead"] is True


async def test_household_member_sees_own_card_not_the_others(api: Api, factory: Factory) -> None:
    head, member = await resident(api), await resident(api)
    await give_card(api, head, "HT", date(2024, 1, 1), None)
    await give_card(api, member, "HS", date(2024, 1, 1), None)
    code = await household_of(api, [head, member])
    username = await factory.citizen(person=member)
    own = "query($c: String!) { household(code: $c) { members { position isHead } } }"
    assert [
        m["position"] for m in (await api.data(own, {"c": code}, as_=username))["household"]["members"]
    ] == [1, 2]
    body = await api.post(CARDS, {"c": code}, as_=username)
    # The head's name and card are not the member's to read; the member's own card is.
    assert set(codes(body)) == {"FORBIDDEN"}
    assert sorted(tuple(e["path"][-2:]) for e in body["errors"]) == [(0, "card"), (0, "fullName")]
    members = body["data"]["household"]["members"]
    assert members[0]["fullName"] is None and members[0]["card"] is None
    assert members[1]["card"]["beneficiaryGroup"] == "HS"


async def test_household_head_sees_members_cards_only_and_logged(api: Api, factory: Factory) -> None:
    head, member = await resident(api), await resident(api, "Lê Văn Con")
    await give_card(api, member, "HS", date(2024, 1, 1), None)
    code = await household_of(api, [head, member])
    head_user = await factory.citizen(person=head)
    member_user = await factory.citizen(person=member)
    before = await log_rows(api, member.id, head_user)
    seen = (await api.data(CARDS, {"c": code}, as_=head_user))["household"]["members"]
    assert seen[1]["fullName"] == "Lê Văn Con" and seen[1]["card"]["beneficiaryGroup"] == "HS"
    assert await log_rows(api, member.id, head_user) == before + 1
    # The member's "who looked at my data" names the head.
    log = await api.data(
        "{ viewer { person { dataAccessLog(first: 5) { nodes { actorUsername fields } } } } }",
        as_=member_user,
    )
    entries = log["viewer"]["person"]["dataAccessLog"]["nodes"]
    assert any(
        e["actorUsername"] == head_user and "HealthInsuranceCard.number" in e["fields"] for e in entries
    )
    # Only the cards: the head reads nothing else of the member's (the card's holder is the person).
    private = await api.post(
        """query($c: String!) { household(code: $c) { members { card { holder { dateOfBirth } qr { payload } } } } }""",
        {"c": code},
        as_=head_user,
    )
    assert set(codes(private)) == {"FORBIDDEN"}


async def log_rows(api: Api, person_id: int, reader: str) -> int:
    async with api.app.state.runtime.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(access_log_t)
                .where(access_log_t.c.person_id == person_id, access_log_t.c.actor_username == reader)
            )
            or 0
        )


async def test_revoke_household_delegation_immediate(api: Api, factory: Factory) -> None:
    head, adult = await resident(api), await resident(api, "Phạm Thị Lớn", born=date(1995, 2, 2))
    await give_card(api, adult, "HS", date(2024, 1, 1), None)
    code = await household_of(api, [head, adult])
    head_user, adult_user = await factory.citizen(person=head), await factory.citizen(person=adult)
    query = "query($c: String!) { household(code: $c) { members { position delegated card { number } } } }"
    seen = (await api.data(query, {"c": code}, as_=head_user))["household"]["members"]
    assert seen[1]["card"]["number"] and seen[1]["delegated"] is True
    result = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_=adult_user))[
        "revokeHouseholdDelegation"
    ]
    assert result["__typename"] == "RevokeHouseholdDelegationSuccess", result
    # At the head's very next read (a cached answer included): no card.
    after = await api.post(query, {"c": code}, as_=head_user)
    assert codes(after) == ["FORBIDDEN"] and after["errors"][0]["path"][-1] == "card"
    before = await log_rows(api, adult.id, head_user)
    await api.post(query, {"c": code}, as_=head_user)
    assert await log_rows(api, adult.id, head_user) == before  # nothing read, nothing logged
    again = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_=adult_user))[
        "revokeHouseholdDelegation"
    ]
    assert problems(again) == [("input.householdCode", "ALREADY_REVOKED")]


async def test_revoke_household_delegation_refused_minor_head_non_member(api: Api, factory: Factory) -> None:
    head, child = await resident(api), await resident(api, born=today().replace(year=today().year - 12))
    code = await household_of(api, [head, child])
    child_user, head_user = await factory.citizen(person=child), await factory.citizen(person=head)
    stranger = await factory.citizen(person=await resident(api))
    before = await counts(api)
    minor = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_=child_user))[
        "revokeHouseholdDelegation"
    ]
    assert problems(minor) == [("input.householdCode", "MINOR")]
    itself = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_=head_user))[
        "revokeHouseholdDelegation"
    ]
    assert problems(itself) == [("input.householdCode", "HEAD_ITSELF")]
    outsider = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_=stranger))[
        "revokeHouseholdDelegation"
    ]
    assert problems(outsider) == [("input.householdCode", "NOT_A_MEMBER")]
    officer = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_="officer.hanoi"))[
        "revokeHouseholdDelegation"
    ]
    assert officer["__typename"] == "NotAllowed"
    assert await counts(api) == before
    # The head still sees the minor's card link (no card yet: null, not refused).
    seen = (await api.data(CARDS, {"c": code}, as_=head_user))["household"]["members"]
    assert seen[1]["card"] is None


# ---------- statements and transports ----------


async def test_household_members_statements_independent_of_members(api: Api) -> None:
    small = await household_of(api, [await resident(api) for _ in range(2)])
    large = await household_of(api, [await resident(api) for _ in range(7)])
    query = """query($c: String!) { household(code: $c) { code members { position fullName card { number } }
      payments { amount agentCode } } }"""
    few = await api.statements(query, {"c": small}, as_="officer.hanoi")
    many = await api.statements(query, {"c": large}, as_="officer.hanoi")
    # session, household, members, cards, payments
    assert many <= few <= 5, (few, many)
    quote = """query($input: HouseholdQuoteInput!) { quoteHouseholdContribution(input: $input) {
      total lines { rank amount member { fullName card { number } } } } }"""
    few = await api.statements(quote, {"input": {"householdCode": small, "months": 3}}, as_="officer.hanoi")
    many = await api.statements(quote, {"input": {"householdCode": large, "months": 3}}, as_="officer.hanoi")
    # session, household, members, the members' cards for the rules, the cards shown
    assert many <= few <= 5, (few, many)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_household_query_and_revoke_on_every_transport(
    api: Api, ways: Ways, factory: Factory, transport: str
) -> None:
    head, adult = await resident(api), await resident(api, born=date(1990, 1, 1))
    await give_card(api, adult, "HS", date(2024, 1, 1), None)
    code = await household_of(api, [head, adult])
    head_user, adult_user = await factory.citizen(person=head), await factory.citizen(person=adult)
    query = "query HeadCards($c: String!) { household(code: $c) { members { position card { beneficiaryGroup } } } }"
    before = await log_rows(api, adult.id, head_user)
    body = await ways.post(transport, query, {"c": code}, as_=head_user)
    assert "errors" not in body, body
    assert body["data"]["household"]["members"][1]["card"]["beneficiaryGroup"] == "HS"
    assert await log_rows(api, adult.id, head_user) == before + 1
    revoked = await ways.post(transport, REVOKE, {"input": {"householdCode": code}}, as_=adult_user)
    assert revoked["data"]["revokeHouseholdDelegation"]["__typename"] == "RevokeHouseholdDelegationSuccess", (
        revoked
    )
    after = await ways.post(transport, query, {"c": code}, as_=head_user)
    assert codes(after) == ["FORBIDDEN"]
    bad = await ways.post(transport, REVOKE, {"input": {"householdCode": code}}, as_=adult_user)
    assert [e["code"] for e in bad["data"]["revokeHouseholdDelegation"]["errors"]] == ["ALREADY_REVOKED"]


async def test_record_household_payment_first_card_at_the_latest_cards_facility(api: Api) -> None:
    """A member whose card of another group has ended gets the household card at the same place of
    primary care, without the agent naming it; their old card does not exempt them."""
    member = await resident(api)
    await give_card(api, member, "DN", date(2020, 1, 1), date(2021, 12, 31))
    code = await household_of(api, [member])
    due = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 12}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]
    assert [line["rank"] for line in due["lines"]] == [1]
    paid = (
        await api.data(
            PAY,
            {"input": {"householdCode": code, "months": 12, "amountPaid": due["total"]}},
            as_="agent.hanoi",
        )
    )["recordHouseholdPayment"]
    assert paid["__typename"] == "RecordHouseholdPaymentSuccess", paid
    card = (
        await api.data(
            "query($c: String!) { household(code: $c) { members { card { beneficiaryGroup primaryCareFacility { code } } } } }",
            {"c": code},
            as_="officer.hanoi",
        )
    )["household"]["members"][0]["card"]
    assert card == {"beneficiaryGroup": "GD", "primaryCareFacility": {"code": FACILITY}}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_quote_and_record_household_payment_on_every_transport(
    api: Api, ways: Ways, transport: str
) -> None:
    """The quote and the payment answer, refuse and store alike on HTTP and both WebSocket protocols."""
    code = await household_of(api, [await resident(api), await resident(api)])
    quoted = await ways.post(
        transport, QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="agent.hanoi"
    )
    assert "errors" not in quoted, quoted
    quote = quoted["data"]["quoteHouseholdContribution"]
    assert [line["rank"] for line in quote["lines"]] == [1, 2]
    month = rules.month_of(today())
    assert (
        Decimal(quote["total"]) == (rules.household_monthly(1, month) + rules.household_monthly(2, month)) * 3
    )
    outside = await ways.post(
        transport, QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="partner.hospital"
    )
    assert outside["data"]["quoteHouseholdContribution"] is None, outside
    months = await ways.post(
        transport, QUOTE, {"input": {"householdCode": code, "months": 5}}, as_="agent.hanoi"
    )
    assert codes(months) == ["BAD_USER_INPUT"]
    before = await counts(api)
    pay = {
        "householdCode": code,
        "months": 3,
        "amountPaid": quote["total"],
        "primaryCareFacilityCode": FACILITY,
    }
    # An officer reads the household but does not take money for it, on any way in.
    refused = await ways.post(transport, PAY, {"input": pay}, as_="officer.hanoi")
    assert refused["data"]["recordHouseholdPayment"]["__typename"] == "NotAllowed", (transport, refused)
    wrong = await ways.post(transport, PAY, {"input": {**pay, "amountPaid": "1"}}, as_="agent.hanoi")
    assert problems(wrong["data"]["recordHouseholdPayment"]) == [("input.amountPaid", "AMOUNT_MISMATCH")]
    assert await counts(api) == before
    paid = await ways.post(transport, PAY, {"input": pay}, as_="agent.hanoi")
    result = paid["data"]["recordHouseholdPayment"]
    assert result["__typename"] == "RecordHouseholdPaymentSuccess", (transport, paid)
    assert (result["payment"]["months"], result["payment"]["agentCode"]) == (3, "DL01001")
    async with api.app.state.runtime.sessionmaker() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(household_payment_t)
            .join(household_t, household_t.c.id == household_payment_t.c.household_id)
            .where(household_t.c.code == code)
        )
    assert stored == 1


# ---------- events ----------

HOUSEHOLD_EVENT_TYPES = [
    "HOUSEHOLD_MEMBER_ADDED",
    "HOUSEHOLD_MEMBER_REMOVED",
    "HOUSEHOLD_PAYMENT_RECORDED",
    "HOUSEHOLD_DELEGATION_REVOKED",
    "HOUSEHOLD_DELEGATION_RESTORED",
]
EVENTS = """subscription($after: String, $types: [EventType!]) { events(after: $after, types: $types) {
  type subjectId node { ... on Household { code } } } }"""


async def test_household_events_reach_the_head_the_member_and_the_agent_only(
    api: Api, factory: Factory, live_server: str
) -> None:
    """Live subscriptions open before the changes: each of the household's audience is told of
    what concerns it, once; another citizen is told nothing; staff and other partners are refused."""
    from contextlib import AsyncExitStack

    from tests.conftest import eventually
    from tests.wsclient import connect

    head, adult = await resident(api), await resident(api, "Phạm Thị Lớn", born=date(1990, 2, 2))
    newcomer = await resident(api, "Lê Văn Mới", born=date(2000, 3, 3))
    code = await household_of(api, [head, adult])
    users = {p.id: await factory.citizen(person=p) for p in (head, adult, newcomer)}
    stranger = await factory.citizen(person=await resident(api))
    added_, removed_, paid_, revoked_, restored_ = HOUSEHOLD_EVENT_TYPES
    audience = {
        users[head.id]: [added_, revoked_, paid_, restored_, removed_],
        users[adult.id]: [revoked_, paid_, restored_],
        users[newcomer.id]: [added_, paid_, removed_],
        "agent.hanoi": [added_, revoked_, paid_, restored_, removed_],
        stranger: [],
    }
    hub = api.app.state.runtime.hub
    async with AsyncExitStack() as stack:
        sockets = {}
        before = len(hub.subscribers)
        for who in audience:
            ws = await stack.enter_async_context(connect(live_server, await api.token(who)))
            await ws.subscribe(EVENTS, {"types": HOUSEHOLD_EVENT_TYPES})
            sockets[who] = ws
        await eventually(lambda: len(hub.subscribers) >= before + len(audience))
        added = (
            await api.data(
                ADD,
                {"input": {"householdCode": code, "socialInsuranceCode": newcomer.social_insurance_code}},
                as_="agent.hanoi",
            )
        )["addHouseholdMember"]
        assert added["__typename"] == "AddHouseholdMemberSuccess", added
        revoked = (await api.data(REVOKE, {"input": {"householdCode": code}}, as_=users[adult.id]))[
            "revokeHouseholdDelegation"
        ]
        assert revoked["__typename"] == "RevokeHouseholdDelegationSuccess", revoked
        due = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="agent.hanoi"))[
            "quoteHouseholdContribution"
        ]["total"]
        pay = {"householdCode": code, "months": 3, "amountPaid": due, "primaryCareFacilityCode": FACILITY}
        paid = (await api.data(PAY, {"input": pay}, as_="agent.hanoi"))["recordHouseholdPayment"]
        assert paid["__typename"] == "RecordHouseholdPaymentSuccess", paid
        restored = (await api.data(RESTORE, {"input": {"householdCode": code}}, as_=users[adult.id]))[
            "restoreHouseholdDelegation"
        ]
        assert restored["__typename"] == "RestoreHouseholdDelegationSuccess", restored
        leave = {"householdCode": code, "socialInsuranceCode": newcomer.social_insurance_code}
        removed = (await api.data(REMOVE, {"input": leave}, as_=users[head.id]))["removeHouseholdMember"]
        assert removed["__typename"] == "RemoveHouseholdMemberSuccess", removed
        for who, expected in audience.items():
            got = [(await sockets[who].receive())["payload"]["data"]["events"] for _ in expected]
            assert [e["type"] for e in got] == expected, who
            # The subject is the household, read under the subscriber's own scope when the event
            # is sent: the member who left no longer reads it.
            if who == users[newcomer.id]:
                assert got[-1]["node"] is None
            else:
                assert all(e["node"] == {"code": code} for e in got), who
            with pytest.raises(TimeoutError):
                await sockets[who].receive(within=0.3)  # each told once, the stranger never
    # Those who are never told are refused rather than served silence.
    for who in ("officer.hanoi", "analyst", "admin", "partner.hospital", "partner.employer"):
        async with connect(live_server, await api.token(who)) as ws:
            await ws.subscribe(EVENTS, {"types": ["HOUSEHOLD_PAYMENT_RECORDED"]})
            message = await ws.receive()
            assert message["type"] == "error", (who, message)
            assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    # The stored rows name no province: no officer's feed carries them.
    async with api.app.state.runtime.sessionmaker() as session:
        stored = (
            await session.execute(
                select(event_t.c.province_code, event_t.c.facility_id).where(
                    event_t.c.subject_type == "Household", event_t.c.type.in_(HOUSEHOLD_EVENT_TYPES)
                )
            )
        ).all()
    assert stored and {tuple(r) for r in stored} == {(None, None)}


async def test_household_node_under_the_households_scope(api: Api) -> None:
    found = await api.data(
        "query($c: String!) { household(code: $c) { id code } }", {"c": DEMO_HOUSEHOLD}, as_="officer.hanoi"
    )
    node_id = found["household"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Household { code } } }"
    for viewer in ("officer.hanoi", "agent.hanoi", "0113099841", "admin"):
        assert (await api.data(query, {"id": node_id}, as_=viewer))["node"] == {"code": DEMO_HOUSEHOLD}, (
            viewer
        )
    for viewer in ("officer.hcm", "analyst", "partner.hospital", "partner.employer"):
        assert (await api.data(query, {"id": node_id}, as_=viewer))["node"] is None, viewer


# ---------- restoring the delegation, removing a member ----------


async def test_restore_household_delegation_head_sees_again_and_logged(api: Api, factory: Factory) -> None:
    head, adult = await resident(api), await resident(api, "Phạm Thị Lớn", born=date(1995, 2, 2))
    await give_card(api, adult, "HS", date(2024, 1, 1), None)
    code = await household_of(api, [head, adult])
    head_user, adult_user = await factory.citizen(person=head), await factory.citizen(person=adult)
    query = "query($c: String!) { household(code: $c) { members { position card { number } } } }"
    not_yet = (await api.data(RESTORE, {"input": {"householdCode": code}}, as_=adult_user))[
        "restoreHouseholdDelegation"
    ]
    assert problems(not_yet) == [("input.householdCode", "NOT_REVOKED")]
    await api.data(REVOKE, {"input": {"householdCode": code}}, as_=adult_user)
    assert codes(await api.post(query, {"c": code}, as_=head_user)) == ["FORBIDDEN"]
    before = await counts(api)
    # Only the member who revoked it gives it back: not the head, an officer or a stranger.
    itself = (await api.data(RESTORE, {"input": {"householdCode": code}}, as_=head_user))[
        "restoreHouseholdDelegation"
    ]
    assert problems(itself) == [("input.householdCode", "HEAD_ITSELF")]
    stranger = await factory.citizen(person=await resident(api))
    outsider = (await api.data(RESTORE, {"input": {"householdCode": code}}, as_=stranger))[
        "restoreHouseholdDelegation"
    ]
    assert problems(outsider) == [("input.householdCode", "NOT_A_MEMBER")]
    malformed = (await api.data(RESTORE, {"input": {"householdCode": "GD12"}}, as_=adult_user))[
        "restoreHouseholdDelegation"
    ]
    assert problems(malformed) == [("input.householdCode", "FORMAT")]
    for who in ("officer.hanoi", "agent.hanoi", "admin"):
        refused = (await api.data(RESTORE, {"input": {"householdCode": code}}, as_=who))[
            "restoreHouseholdDelegation"
        ]
        assert refused["__typename"] == "NotAllowed", who
    assert await counts(api) == before
    restored = (await api.data(RESTORE, {"input": {"householdCode": code}}, as_=adult_user))[
        "restoreHouseholdDelegation"
    ]
    assert restored["__typename"] == "RestoreHouseholdDelegationSuccess", restored
    assert [m["delegated"] for m in restored["household"]["members"]] == [True, True]
    # The head's very next read sees the card again, and is in the member's access log.
    logged = await log_rows(api, adult.id, head_user)
    seen = (await api.data(query, {"c": code}, as_=head_user))["household"]["members"]
    assert seen[1]["card"]["number"]
    assert await log_rows(api, adult.id, head_user) == logged + 1
    async with api.app.state.runtime.sessionmaker() as session:
        actions = (
            (
                await session.execute(
                    select(audit_t.c.action).where(audit_t.c.action.like("%HouseholdDelegation"))
                )
            )
            .scalars()
            .all()
        )
    assert "restoreHouseholdDelegation" in actions


async def test_remove_household_member_by_head_cards_stay_valid_to_their_paid_end(
    api: Api, factory: Factory
) -> None:
    head, leaving = await resident(api), await resident(api, "Võ Văn Đi")
    code = await household_of(api, [head, leaving])
    due = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 6}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]["total"]
    pay = {"householdCode": code, "months": 6, "amountPaid": due, "primaryCareFacilityCode": FACILITY}
    assert (await api.data(PAY, {"input": pay}, as_="agent.hanoi"))["recordHouseholdPayment"][
        "__typename"
    ] == "RecordHouseholdPaymentSuccess"

    async def card_of(person: Any) -> Any:
        async with api.app.state.runtime.sessionmaker() as session:
            return (
                await session.execute(
                    select(card_t.c.valid_from, card_t.c.valid_to, card_t.c.suspended).where(
                        card_t.c.person_id == person.id, card_t.c.beneficiary_group == "GD"
                    )
                )
            ).one()

    card = await card_of(leaving)
    head_user = await factory.citizen(person=head)
    removed = (
        await api.data(
            REMOVE,
            {"input": {"householdCode": code, "socialInsuranceCode": leaving.social_insurance_code}},
            as_=head_user,
        )
    )["removeHouseholdMember"]
    assert removed["__typename"] == "RemoveHouseholdMemberSuccess", removed
    assert [m["socialInsuranceCode"] for m in removed["household"]["members"]] == [head.social_insurance_code]
    # The card it paid for is untouched: valid to its paid end.
    assert await card_of(leaving) == card and card.suspended is False
    # The next quote no longer counts the member; the head reads nothing of them any more.
    again = (await api.data(QUOTE, {"input": {"householdCode": code, "months": 3}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]
    assert [line["rank"] for line in again["lines"]] == [1]
    logged = await log_rows(api, leaving.id, head_user)
    await api.data(CARDS, {"c": code}, as_=head_user)
    assert await log_rows(api, leaving.id, head_user) == logged
    # They may join another household at once: its payment continues the same card from its end.
    other = await household_of(api, [await resident(api), leaving])
    quote = (await api.data(QUOTE, {"input": {"householdCode": other, "months": 3}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]
    assert quote["lines"][1]["validFrom"] == (card.valid_to + timedelta(days=1)).isoformat()


async def test_remove_household_member_by_officer_success(api: Api) -> None:
    head, leaving = await resident(api), await resident(api)
    code = await household_of(api, [head, leaving])
    removed = (
        await api.data(
            REMOVE,
            {"input": {"householdCode": code, "socialInsuranceCode": leaving.social_insurance_code}},
            as_="officer.hanoi",
        )
    )["removeHouseholdMember"]
    assert removed["__typename"] == "RemoveHouseholdMemberSuccess", removed
    async with api.app.state.runtime.sessionmaker() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(household_member_t)
            .where(household_member_t.c.person_id == leaving.id)
        )
        action = await session.scalar(
            select(audit_t.c.action)
            .where(audit_t.c.action == "removeHouseholdMember")
            .order_by(audit_t.c.id.desc())
        )
    assert left == 0 and action == "removeHouseholdMember"


async def test_remove_household_member_refused_each_specific_nothing_stored(
    api: Api, factory: Factory
) -> None:
    head, member, outsider = await resident(api), await resident(api), await resident(api)
    code = await household_of(api, [head, member])
    member_user = await factory.citizen(person=member)
    stranger = await factory.citizen(person=outsider)
    before = await counts(api)

    async def remove(person_code: str, who: str, household: str = code) -> dict[str, Any]:
        result: dict[str, Any] = (
            await api.data(
                REMOVE, {"input": {"householdCode": household, "socialInsuranceCode": person_code}}, as_=who
            )
        )["removeHouseholdMember"]
        return result

    assert problems(await remove("12ab", "officer.hanoi")) == [("input.socialInsuranceCode", "FORMAT")]
    assert problems(await remove(outsider.social_insurance_code, "officer.hanoi")) == [
        ("input.socialInsuranceCode", "NOT_A_MEMBER")
    ]
    assert problems(await remove(head.social_insurance_code, "officer.hanoi")) == [
        ("input.socialInsuranceCode", "HEAD_NOT_REMOVABLE")
    ]
    assert problems(await remove(member.social_insurance_code, "officer.hanoi", "GD1")) == [
        ("input.householdCode", "FORMAT")
    ]
    # Out of scope reads as absent: another province's officer, a citizen of no part in it.
    for who in ("officer.hcm", stranger):
        assert problems(await remove(member.social_insurance_code, who)) == [
            ("input.householdCode", "NOT_FOUND")
        ]
    # A member who is not the head, the agent, and the rest: not theirs to do.
    for who in (member_user, "agent.hanoi", "partner.hospital", "analyst", "admin"):
        assert (await remove(member.social_insurance_code, who))["__typename"] == "NotAllowed", who
    assert await counts(api) == before


# ---------- the payment lines ----------

LINES = """query($c: String!) { household(code: $c) { payments { months amount
  lines { rank amount socialInsuranceCode fullName validFrom validTo } } } }"""


async def paid_household(api: Api, people: list[Any], months: int = 3) -> str:
    code = await household_of(api, people)
    due = (await api.data(QUOTE, {"input": {"householdCode": code, "months": months}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]["total"]
    pay = {"householdCode": code, "months": months, "amountPaid": due, "primaryCareFacilityCode": FACILITY}
    result = (await api.data(PAY, {"input": pay}, as_="agent.hanoi"))["recordHouseholdPayment"]
    assert result["__typename"] == "RecordHouseholdPaymentSuccess", result
    return code


def forbidden_paths(body: dict[str, Any]) -> list[tuple[int, str]]:
    return sorted((e["path"][-2], e["path"][-1]) for e in body.get("errors", []))


async def test_household_payment_lines_each_role_view(api: Api, factory: Factory) -> None:
    head, adult = (
        await resident(api, "Nguyễn Văn Chủ"),
        await resident(api, "Phạm Thị Lớn", born=date(1990, 2, 2)),
    )
    code = await paid_household(api, [head, adult])
    head_user, adult_user = await factory.citizen(person=head), await factory.citizen(person=adult)
    month = rules.month_of(today())
    start = today() + timedelta(days=30)
    end = add_months(start, 3) - timedelta(days=1)
    # Officers of the province read every line whole.
    officer = (await api.data(LINES, {"c": code}, as_="officer.hanoi"))["household"]["payments"][0]
    assert [
        (x["rank"], Decimal(x["amount"]), x["fullName"], x["validFrom"], x["validTo"])
        for x in officer["lines"]
    ] == [
        (1, rules.household_monthly(1, month) * 3, "Nguyễn Văn Chủ", start.isoformat(), end.isoformat()),
        (2, rules.household_monthly(2, month) * 3, "Phạm Thị Lớn", start.isoformat(), end.isoformat()),
    ]
    assert sum(Decimal(x["amount"]) for x in officer["lines"]) == Decimal(officer["amount"])
    # The agent names whom it collected for and how much; not what the cards are.
    agent = await api.post(LINES, {"c": code}, as_="agent.hanoi")
    assert set(codes(agent)) == {"FORBIDDEN"}
    assert forbidden_paths(agent) == [(0, "validFrom"), (0, "validTo"), (1, "validFrom"), (1, "validTo")]
    assert [x["fullName"] for x in agent["data"]["household"]["payments"][0]["lines"]] == [
        "Nguyễn Văn Chủ",
        "Phạm Thị Lớn",
    ]
    # The head reads the delegated member's line, in the member's access log.
    logged = await log_rows(api, adult.id, head_user)
    by_head = await api.post(LINES, {"c": code}, as_=head_user)
    assert "errors" not in by_head, by_head
    assert await log_rows(api, adult.id, head_user) == logged + 1
    # A member reads their own line and the amounts, not the head's identity or card.
    by_member = await api.post(LINES, {"c": code}, as_=adult_user)
    assert forbidden_paths(by_member) == [
        (0, "fullName"),
        (0, "socialInsuranceCode"),
        (0, "validFrom"),
        (0, "validTo"),
    ]
    assert by_member["data"]["household"]["payments"][0]["lines"][1]["validTo"] == end.isoformat()
    # Once the member revokes the delegation, the head reads only the rank and the amount.
    await api.data(REVOKE, {"input": {"householdCode": code}}, as_=adult_user)
    revoked = await api.post(LINES, {"c": code}, as_=head_user)
    assert forbidden_paths(revoked) == [
        (1, "fullName"),
        (1, "socialInsuranceCode"),
        (1, "validFrom"),
        (1, "validTo"),
    ]
    assert [x["rank"] for x in revoked["data"]["household"]["payments"][0]["lines"]] == [1, 2]


async def test_household_payment_lines_statements_independent_of_payments(api: Api) -> None:
    small = await paid_household(api, [await resident(api)])
    large = await paid_household(api, [await resident(api) for _ in range(5)], months=6)
    due = (await api.data(QUOTE, {"input": {"householdCode": large, "months": 3}}, as_="agent.hanoi"))[
        "quoteHouseholdContribution"
    ]["total"]
    again = {"householdCode": large, "months": 3, "amountPaid": due}
    assert (await api.data(PAY, {"input": again}, as_="agent.hanoi"))["recordHouseholdPayment"][
        "__typename"
    ] == "RecordHouseholdPaymentSuccess"
    few = await api.statements(LINES, {"c": small}, as_="officer.hanoi")
    many = await api.statements(LINES, {"c": large}, as_="officer.hanoi")
    # session, household, payments, their lines
    assert many <= few <= 4, (few, many)


async def agent_of(api: Api, ward: str) -> str:
    """A partner account of another collection agent, collecting in `ward`."""
    from models.tables import account_t, agent_t, catchment_t

    async with api.app.state.runtime.sessionmaker() as session:
        taken = select(account_t.c.agent_id).where(account_t.c.agent_id.is_not(None))
        agent_id = await session.scalar(select(agent_t.c.id).where(agent_t.c.id.not_in(taken)).limit(1))
        await session.execute(insert(catchment_t).values(agent_id=agent_id, ward_code=ward))
        await session.commit()
    return await Factory(api.app).partner("Agent-Pass-2026", agent_id=agent_id)


async def test_add_household_member_event_to_each_agent_of_the_ward_once(api: Api, live_server: str) -> None:
    """Two agents collect in the household's ward: each is told once; an agent of another ward
    is told nothing (and cannot read the household)."""
    from contextlib import AsyncExitStack

    from tests.conftest import eventually
    from tests.wsclient import connect

    ward, _ = await other_ward(api)
    sharing, elsewhere = await agent_of(api, WARD), await agent_of(api, ward)
    code = await household_of(api, [await resident(api)])
    hub = api.app.state.runtime.hub
    async with AsyncExitStack() as stack:
        sockets = {}
        before = len(hub.subscribers)
        for who in ("agent.hanoi", sharing, elsewhere):
            ws = await stack.enter_async_context(connect(live_server, await api.token(who)))
            await ws.subscribe(EVENTS, {"types": ["HOUSEHOLD_MEMBER_ADDED"]})
            sockets[who] = ws
        await eventually(lambda: len(hub.subscribers) >= before + 3)
        added = (
            await api.data(
                ADD,
                {
                    "input": {
                        "householdCode": code,
                        "socialInsuranceCode": (await resident(api)).social_insurance_code,
                    }
                },
                as_="officer.hanoi",
            )
        )["addHouseholdMember"]
        assert added["__typename"] == "AddHouseholdMemberSuccess", added
        for who in ("agent.hanoi", sharing):
            event = (await sockets[who].receive())["payload"]["data"]["events"]
            assert (event["type"], event["node"]) == ("HOUSEHOLD_MEMBER_ADDED", {"code": code}), who
        for who in ("agent.hanoi", sharing, elsewhere):
            with pytest.raises(TimeoutError):
                await sockets[who].receive(within=0.3)
    assert (await api.data(HOUSEHOLD, {"c": code}, as_=elsewhere))["household"] is None


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_restore_delegation_and_remove_household_member_on_every_transport(
    api: Api, ways: Ways, factory: Factory, transport: str
) -> None:
    head, adult, leaving = (
        await resident(api),
        await resident(api, born=date(1991, 1, 1)),
        await resident(api),
    )
    code = await household_of(api, [head, adult, leaving])
    head_user, adult_user = await factory.citizen(person=head), await factory.citizen(person=adult)
    await api.data(REVOKE, {"input": {"householdCode": code}}, as_=adult_user)
    refused = await ways.post(transport, RESTORE, {"input": {"householdCode": code}}, as_="agent.hanoi")
    assert refused["data"]["restoreHouseholdDelegation"]["__typename"] == "NotAllowed", (transport, refused)
    restored = await ways.post(transport, RESTORE, {"input": {"householdCode": code}}, as_=adult_user)
    result = restored["data"]["restoreHouseholdDelegation"]
    assert result["__typename"] == "RestoreHouseholdDelegationSuccess", (transport, restored)
    again = await ways.post(transport, RESTORE, {"input": {"householdCode": code}}, as_=adult_user)
    assert problems(again["data"]["restoreHouseholdDelegation"]) == [("input.householdCode", "NOT_REVOKED")]
    leave = {"householdCode": code, "socialInsuranceCode": leaving.social_insurance_code}
    for who in ("agent.hanoi", adult_user):
        denied = await ways.post(transport, REMOVE, {"input": leave}, as_=who)
        assert denied["data"]["removeHouseholdMember"]["__typename"] == "NotAllowed", (transport, who)
    head_itself = {**leave, "socialInsuranceCode": head.social_insurance_code}
    bad = await ways.post(transport, REMOVE, {"input": head_itself}, as_=head_user)
    assert problems(bad["data"]["removeHouseholdMember"]) == [
        ("input.socialInsuranceCode", "HEAD_NOT_REMOVABLE")
    ]
    removed = await ways.post(transport, REMOVE, {"input": leave}, as_=head_user)
    members = removed["data"]["removeHouseholdMember"]["household"]["members"]
    assert [m["socialInsuranceCode"] for m in members] == [
        head.social_insurance_code,
        adult.social_insurance_code,
    ]
