"""The insured person: the golden record, search, pagination, bad input, statement counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, codes

GOLDEN = "0113099841"

HOME = """
query Home {
  viewer {
    account { username role mustChangePassword }
    person {
      fullName socialInsuranceCode
      healthInsuranceCard { number status benefitLevel validFrom }
      participation(insuranceType: SOCIAL) { totalMonths years months firstMonth lastMonth }
    }
  }
}
"""


async def test_viewer_home_golden_record_as_in_the_guide(api: Api) -> None:
    data = await api.data(HOME, as_=GOLDEN)
    person = data["viewer"]["person"]
    assert data["viewer"]["account"] == {"username": GOLDEN, "role": "CITIZEN", "mustChangePassword": False}
    assert person["fullName"] == "Nguyễn Thành Biên"
    # HC while his unit paid (to 2020-10), household BHYT since.
    assert person["healthInsuranceCard"]["number"] == "GD4010113099841"
    assert person["healthInsuranceCard"]["benefitLevel"] == 4
    assert person["participation"] == {
        "totalMonths": 146,
        "years": 12,
        "months": 2,
        "firstMonth": "2006-07",
        "lastMonth": "2020-09",
    }


async def test_viewer_home_statements_at_most_four(api: Api) -> None:
    assert await api.statements(HOME, as_=GOLDEN) <= 4


async def test_person_identity_golden_exact(api: Api) -> None:
    data = await api.data(
        """query($c: String!) { person(socialInsuranceCode: $c) {
            fullName gender idDocument { type number } phone email
            address { province { code name } district { code name } ward { code name } street text } } }""",
        {"c": GOLDEN},
        as_=GOLDEN,
    )
    assert data["person"] == {
        "fullName": "Nguyễn Thành Biên",
        "gender": "MALE",
        "idDocument": {"type": "CCCD", "number": "111349876090"},
        "phone": "0983847986",
        "email": "biennt@vss.gov.vn",
        "address": {
            "province": {"code": "01", "name": "Thành phố Hà Nội"},
            "district": {"code": "272", "name": "Huyện Phúc Thọ"},
            "ward": {"code": "09763", "name": "Xã Phúc Hòa"},
            "street": "Thôn 4 Thụ Trai",
            "text": "Thôn 4 Thụ Trai, Xã Phúc Hòa, Huyện Phúc Thọ, Thành phố Hà Nội",
        },
    }


async def test_contribution_periods_golden_newest_first_as_the_screen(api: Api) -> None:
    data = await api.data(
        """{ viewer { person { contributionPeriods(insuranceType: SOCIAL) { totalCount nodes {
            fromMonth toMonth months occupation workplace currency salary salaryCoefficient unit { name } } } } } }""",
        as_=GOLDEN,
    )
    periods = data["viewer"]["person"]["contributionPeriods"]
    assert periods["totalCount"] == 6
    rows = [(p["fromMonth"], p["toMonth"], p["unit"]["name"], p["occupation"]) for p in periods["nodes"]]
    deputy = "Chuyên viên (cao đẳng), Phó trưởng phòng"
    assert rows == [
        ("2020-02", "2020-09", "TRUNG TÂM CÔNG NGHỆ THÔNG TIN", "Chuyên viên"),
        ("2017-08", "2017-12", "Bảo Hiểm Xã Hội Việt Nam", deputy),
        ("2017-07", "2017-07", "Bảo Hiểm Xã Hội Việt Nam", deputy),
        ("2017-06", "2017-06", "Bảo Hiểm Xã Hội Việt Nam", deputy),
        ("2016-10", "2017-05", "Bảo Hiểm Xã Hội Việt Nam", deputy),
        ("2006-07", "2016-09", "Bảo Hiểm Xã Hội Việt Nam", "Chuyên viên"),
    ]
    newest = periods["nodes"][0]
    assert newest["workplace"] == "150 Phố Vọng - Thanh Xuân - Hà Nội"
    assert (newest["currency"], newest["salary"], newest["salaryCoefficient"]) == (
        "VND",
        "5453400.00",
        "3.66",
    )
    assert newest["months"] == 8


@pytest.mark.parametrize(
    ("insurance_type", "total", "first"),
    [("OCCUPATIONAL_ACCIDENT", 146, "2006-07"), ("HEALTH", 146, "2006-07"), ("UNEMPLOYMENT", 116, "2009-01")],
)
async def test_participation_golden_other_insurances(
    api: Api, insurance_type: str, total: int, first: str
) -> None:
    data = await api.data(
        "query($t: InsuranceType!) { viewer { person { participation(insuranceType: $t) { totalMonths firstMonth } } } }",
        {"t": insurance_type},
        as_=GOLDEN,
    )
    assert data["viewer"]["person"]["participation"] == {"totalMonths": total, "firstMonth": first}


async def test_persons_search_ignores_diacritics_and_case(api: Api) -> None:
    for text in ("nguyen thanh bien", "NGUYỄN THÀNH BIÊN", "  Nguyen   Thanh Bien "):
        data = await api.data(
            "query($s: String) { persons(search: $s) { nodes { socialInsuranceCode } } }",
            {"s": text},
            as_="officer.hanoi",
        )
        assert GOLDEN in [p["socialInsuranceCode"] for p in data["persons"]["nodes"]], text


async def test_persons_pages_cover_the_list_once(api: Api) -> None:
    query = """query($after: String) { persons(provinceCode: "01", first: 7, after: $after) {
        totalCount edges { cursor node { socialInsuranceCode } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    seen: list[str] = []
    after = None
    total = None
    while True:
        page: dict[str, Any] = (await api.data(query, {"after": after}, as_="officer.hanoi"))["persons"]
        total = page["totalCount"]
        seen.extend(e["node"]["socialInsuranceCode"] for e in page["edges"])
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == total == len(set(seen)) > 20
    assert seen == sorted(seen)
    assert all(code.startswith("01") or code == GOLDEN for code in seen)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 101", "first must be between 0 and 100 (got 101)"),
        ("first: -1", "first must be between 0 and 100"),
        ('after: "not-a-cursor"', "after: malformed cursor"),
        ('provinceCode: "1"', "a province code is 2 digits"),
        ('provinceCode: "00"', "no province has the code '00'"),
        ('search: "a"', "at least 2 characters"),
    ],
)
async def test_persons_bad_input_specific_error(api: Api, arguments: str, message: str) -> None:
    body = await api.post(f"{{ persons({arguments}) {{ totalCount }} }}", as_="officer.hanoi")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]
    assert body["data"] is None


async def test_persons_cursor_of_another_list_refused(api: Api) -> None:
    units = await api.data("{ units(first: 1) { pageInfo { endCursor } } }", as_="officer.hanoi")
    body = await api.post(
        "query($a: String) { persons(after: $a) { totalCount } }",
        {"a": units["units"]["pageInfo"]["endCursor"]},
        as_="officer.hanoi",
    )
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_person_malformed_code_bad_input(api: Api) -> None:
    body = await api.post('{ person(socialInsuranceCode: "12345") { fullName } }', as_="officer.hanoi")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "exactly 10 digits" in body["errors"][0]["message"]


PERSONS_NESTED = """query($n: Int) { persons(first: $n) { totalCount nodes {
    socialInsuranceCode fullName dateOfBirth address { text }
    healthInsuranceCard { number primaryCareFacility { name } }
    contributionPeriods(first: 5) { totalCount nodes { fromMonth salary unit { name } } }
    medicalVisits(first: 3) { totalCount nodes { diagnosis totalCost facility { name } } }
    benefits(first: 2) { nodes { regime amount payingOffice { name } } }
    participation(insuranceType: SOCIAL) { totalMonths } } } }"""


async def test_persons_nested_statements_independent_of_rows(api: Api) -> None:
    # One statement per list or link of the shape, at most (16 here); a loader's cache may save
    # one when an earlier link already fetched every row a later one needs, so never more rows,
    # more statements.
    counts = [await api.statements(PERSONS_NESTED, {"n": n}, as_="officer.hanoi") for n in (5, 30, 100)]
    assert max(counts) <= 16, counts
    assert counts[2] <= counts[1], counts
