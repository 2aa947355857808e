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


PERSONS_BY_UNIT = "query($u: String) { persons(unitCode: $u, first: 100) { nodes { socialInsuranceCode } } }"


async def test_persons_unit_filter_employer_matches_only_its_own_periods(api: Api) -> None:
    """The golden person works at the employer's unit (01T0001) and worked at 01B0001 before: the
    employer may not learn that other employer by filtering."""
    own = await api.data(PERSONS_BY_UNIT, {"u": "01T0001"}, as_="partner.employer")
    assert GOLDEN in [n["socialInsuranceCode"] for n in own["persons"]["nodes"]]
    other = await api.data(PERSONS_BY_UNIT, {"u": "01B0001"}, as_="partner.employer")
    assert other["persons"]["nodes"] == []


async def test_persons_unit_filter_hospital_refused(api: Api) -> None:
    """A hospital reads no contribution periods, so it cannot filter its patients by employer."""
    body = await api.post(PERSONS_BY_UNIT, {"u": "01T0001"}, as_="partner.hospital")
    assert codes(body) == ["FORBIDDEN"] and body["errors"][0]["extensions"]["argument"] == "unitCode"
    assert body["data"] is None


@pytest.mark.parametrize("username", ["partner.hospital", "partner.employer"])
async def test_persons_province_filter_partner_refused(api: Api, username: str) -> None:
    """Partners do not read addresses: filtering by province would tell where their people live."""
    body = await api.post('{ persons(provinceCode: "01") { nodes { id } } }', as_=username)
    assert codes(body) == ["FORBIDDEN"] and body["errors"][0]["extensions"]["argument"] == "provinceCode"


async def test_persons_search_analyst_refused_on_clear_name(api: Api) -> None:
    """Analysts read names masked: a search would match the clear name behind the mask."""
    body = await api.post(
        '{ persons(search: "Nguyễn Thành Biên") { nodes { id birthYear } } }', as_="analyst"
    )
    assert codes(body) == ["FORBIDDEN"] and body["errors"][0]["extensions"]["argument"] == "search"
    assert body["data"] is None
    # What they may filter on (they see the province of the address, and the unit of a period).
    data = await api.data(
        '{ persons(provinceCode: "01", unitCode: "01T0001") { nodes { id } } }', as_="analyst"
    )
    assert data["persons"]["nodes"]


async def test_persons_analyst_not_ordered_by_the_masked_code(api: Api) -> None:
    """The order of a list is information: by the code it would place a masked code between its
    clear neighbours. Analysts' lists follow the internal order instead."""
    from schema.node import parse_global_id

    query = "{ persons(first: 50) { nodes { id } } }"
    by_code = [parse_global_id(n["id"])[1] for n in (await api.data(query, as_="admin"))["persons"]["nodes"]]
    got = [parse_global_id(n["id"])[1] for n in (await api.data(query, as_="analyst"))["persons"]["nodes"]]
    assert by_code != sorted(by_code)  # the demo data's codes are not in the table's order
    assert got == sorted(got) and len(got) == 50


PERSONS_PAGE = "query($after: String) { persons(first: 2, after: $after) { nodes { socialInsuranceCode } pageInfo { endCursor } edges { cursor } } }"


def unpadded_b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("username", ["analyst", "admin"])
async def test_persons_cursor_reveals_no_code(api: Api, username: str) -> None:
    """Cursors were base64 of ["person", "<code>"]: the code an analyst reads masked, in the clear."""
    clear = await api.data(PERSONS_PAGE, as_="admin")
    codes_ = {n["socialInsuranceCode"] for n in clear["persons"]["nodes"]}
    page = (await api.data(PERSONS_PAGE, as_=username))["persons"]
    for cursor in [page["pageInfo"]["endCursor"], *(e["cursor"] for e in page["edges"])]:
        raw = unpadded_b64decode(cursor)
        assert not any(code.encode() in raw for code in codes_), raw
        assert b"person" not in raw


async def test_persons_forged_cursor_refused(api: Api) -> None:
    """A cursor made by hand was a lookup by code (the next page starts right after it)."""
    import base64

    forged = base64.urlsafe_b64encode(f'["person","{GOLDEN[:-1]}0"]'.encode()).decode().rstrip("=")
    for username in ("analyst", "admin", "officer.hanoi"):
        body = await api.post(PERSONS_PAGE, {"after": forged}, as_=username)
        assert codes(body) == ["BAD_USER_INPUT"], (username, body)
        assert "malformed cursor" in body["errors"][0]["message"]


async def test_persons_tampered_cursor_refused(api: Api) -> None:
    cursor = (await api.data(PERSONS_PAGE, as_="admin"))["persons"]["pageInfo"]["endCursor"]
    assert "errors" not in await api.post(PERSONS_PAGE, {"after": cursor}, as_="admin")
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    body = await api.post(PERSONS_PAGE, {"after": flipped}, as_="admin")
    assert codes(body) == ["BAD_USER_INPUT"], body


async def test_persons_cursor_of_another_viewer_or_list_refused(api: Api) -> None:
    """A cursor opens only in the list that issued it, for the scope it was issued to."""
    hanoi = (await api.data(PERSONS_PAGE, as_="officer.hanoi"))["persons"]["pageInfo"]["endCursor"]
    body = await api.post(PERSONS_PAGE, {"after": hanoi}, as_="officer.hcm")
    assert codes(body) == ["BAD_USER_INPUT"], body
    body = await api.post(PERSONS_PAGE, {"after": hanoi}, as_="analyst")
    assert codes(body) == ["BAD_USER_INPUT"], body
    employees = 'query($after: String) { unit(code: "01T0001") { employees(first: 1, after: $after) { nodes { id } } } }'
    body = await api.post(employees, {"after": hanoi}, as_="officer.hanoi")
    assert codes(body) == ["BAD_USER_INPUT"], body
    # The same viewer, the same list: the next page.
    assert "errors" not in await api.post(PERSONS_PAGE, {"after": hanoi}, as_="officer.hanoi")
