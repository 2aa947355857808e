"""The person of the user guide, exactly as golden.md holds him."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from models import rules
from models.rules import records
from models.text import fold
from models.types import VIETNAM_TZ
from seed.people import periods_for_job

CODE = "0113099841"
NAME = "Nguyễn Thành Biên"
IT_CENTRE = "TRUNG TÂM CÔNG NGHỆ THÔNG TIN"
VSS = "Bảo Hiểm Xã Hội Việt Nam"
HOSPITAL_CODE = "01929"  # Bệnh viện Bạch Mai: the demo hospital partner

LOCAL_FACILITY_CODE = "01T72"
# His registered primary-care facility: the health centre of his district.
LOCAL_FACILITY: dict[str, Any] = {
    "code": LOCAL_FACILITY_CODE,
    "name": "Trung tâm Y tế huyện Phúc Thọ",
    "search_name": fold("Trung tâm Y tế huyện Phúc Thọ"),
    "address_scheme": "2004",
    "province_code": "01",
    "district_code": "272",
    "ward_code": "09763",
    "street": "Thị trấn Phúc Thọ",
    "latitude": 21.1035,
    "longitude": 105.5520,
    "accepts_health_insurance": True,
    "issues_sick_leave": True,
}

UNITS: list[dict[str, Any]] = [
    {
        "code": "01B0001",
        "name": VSS,
        "search_name": fold(VSS),
        "tax_code": "0100112437",
        "province_scope": "01",
        "address_scheme": "2004",
        "province_code": "01",
        "district_code": None,
        "ward_code": None,
        "street": "7 Tràng Thi, Hoàn Kiếm, Hà Nội",
    },
    {
        "code": "01T0001",
        "name": IT_CENTRE,
        "search_name": fold(IT_CENTRE),
        "tax_code": "0100112437-001",
        "province_scope": "01",
        "address_scheme": "2004",
        "province_code": "01",
        "district_code": None,
        "ward_code": None,
        "street": "150 Phố Vọng, Thanh Xuân, Hà Nội",
    },
]

PERSON: dict[str, Any] = {
    "social_insurance_code": CODE,
    "full_name": NAME,
    "search_name": fold(NAME),
    "gender": "MALE",
    # Not on the guide's screens: a birth date consistent with a career that began in 2006.
    "date_of_birth": date(1984, 3, 12),
    "id_type": "CCCD",
    "id_number": "111349876090",
    "phone": "0983847986",
    "email": "biennt@vss.gov.vn",
    "province_scope": "01",
    "address_scheme": "2004",
    "province_code": "01",
    "district_code": "272",
    "ward_code": "09763",
    "street": "Thôn 4 Thụ Trai",
}

DEPUTY = "Chuyên viên (cao đẳng), Phó trưởng phòng"


def periods(unit_ids: dict[str, int]) -> list[dict[str, Any]]:
    """The guide's table, newest first there; the same spans for SOCIAL, OA and HEALTH."""
    vss, centre = unit_ids["01B0001"], unit_ids["01T0001"]
    jobs: list[tuple[int, int, int, str, str | None, Decimal, Decimal | None]] = [
        (
            200607,
            201609,
            vss,
            "Chuyên viên",
            None,
            Decimal(rules.base_salary(200607)) * Decimal("2.34"),
            Decimal("2.34"),
        ),
        (
            201610,
            201705,
            vss,
            DEPUTY,
            None,
            Decimal(rules.base_salary(201610)) * Decimal("3.33"),
            Decimal("3.33"),
        ),
        (
            201706,
            201706,
            vss,
            DEPUTY,
            None,
            Decimal(rules.base_salary(201706)) * Decimal("3.33"),
            Decimal("3.33"),
        ),
        (
            201707,
            201707,
            vss,
            DEPUTY,
            None,
            Decimal(rules.base_salary(201707)) * Decimal("3.33"),
            Decimal("3.33"),
        ),
        (
            201708,
            201712,
            vss,
            DEPUTY,
            None,
            Decimal(rules.base_salary(201708)) * Decimal("3.33"),
            Decimal("3.33"),
        ),
        (
            202002,
            202009,
            centre,
            "Chuyên viên",
            "150 Phố Vọng - Thanh Xuân - Hà Nội",
            Decimal("5453400.00"),
            Decimal("3.66"),
        ),
    ]
    rows: list[dict[str, Any]] = []
    for start, end, unit_id, occupation, workplace, salary, coefficient in jobs:
        for insurance in ("SOCIAL", "OCCUPATIONAL_ACCIDENT", "HEALTH"):
            rows.append(
                {
                    "person_code": CODE,
                    "unit_id": unit_id,
                    "insurance_type": insurance,
                    "from_month": start,
                    "to_month": end,
                    "occupation": occupation,
                    "workplace": workplace,
                    "currency": "VND",
                    "salary": salary,
                    "salary_coefficient": coefficient,
                }
            )
        # BHTN only began in 2009: his first job counts from 2009-01.
        rows.extend(
            r
            for r in periods_for_job(
                CODE, unit_id, start, end, occupation, workplace, salary, coefficient, region=1
            )
            if r["insurance_type"] == "UNEMPLOYMENT"
        )
    return rows


def cards(facility_id: int) -> list[dict[str, Any]]:
    """HC (civil servant) while his unit paid BHYT, to the end of the month after his last month
    (2020-09); from then on household BHYT (GD), five continuous years from 2025-02 (the gap of
    2018-01 to 2020-01 broke the earlier run; one month between the two cards does not)."""
    common = {
        "person_code": CODE,
        "social_insurance_code": CODE,
        "province_code": "01",
        "suspended": False,
        "primary_care_facility_id": facility_id,
    }
    return [
        {
            **common,
            "number": rules.card_number("HC", "01", CODE),  # HC4010113099841
            "beneficiary_group": "HC",
            "benefit_level": rules.benefit_level("HC"),
            "valid_from": date(2020, 2, 1),
            "valid_to": date(2020, 10, 31),
            "five_years_continuous_from": None,
        },
        {
            **common,
            "number": rules.card_number("GD", "01", CODE),  # GD4010113099841
            "beneficiary_group": "GD",
            "benefit_level": rules.benefit_level("GD"),
            "valid_from": date(2020, 11, 1),
            "valid_to": None,
            "five_years_continuous_from": date(2025, 2, 1),
        },
    ]


CURRENT_CARD = rules.card_number("GD", "01", CODE)


def _visit(
    facility: tuple[int, str, str],
    at: datetime,
    hours: int,
    icd: str,
    diagnosis: str,
    total: int,
    route: str,
    referred_from: str | None = None,
) -> dict[str, Any]:
    facility_id, code, name = facility
    total_cost = Decimal(total)
    visit_type = "INPATIENT" if hours >= 24 else "OUTPATIENT"
    share = records.fund_share(
        level=rules.benefit_level("GD"),
        tier=records.facility_tier(code, name),
        route=route,
        visit_type=visit_type,
        total=total_cost,
        day=at.date(),
    )
    insured = records.fund_paid(total_cost, share)
    return {
        "person_code": CODE,
        "card_number": CURRENT_CARD,
        "facility_id": facility_id,
        "visit_type": visit_type,
        "admitted_at": at,
        "discharged_at": datetime.fromtimestamp(at.timestamp() + hours * 3600, VIETNAM_TZ),
        "year": at.year,
        "diagnosis_code": icd,
        "diagnosis": diagnosis,
        "total_cost": total_cost,
        "insurance_paid": insured,
        "patient_paid": total_cost - insured,
        "route": route,
        "referred_from": referred_from,
    }


HOSPITAL_NAME = "Bệnh viện Bạch Mai"


def visits(hospital_id: int, local_id: int) -> list[dict[str, Any]]:
    """Two at his district health centre (his place of primary care; both cost less than 15% of
    the base salary, so the fund pays all), two at Bạch Mai on referral from it (80%)."""
    t = VIETNAM_TZ
    local = (local_id, LOCAL_FACILITY_CODE, LOCAL_FACILITY["name"])
    hospital = (hospital_id, HOSPITAL_CODE, HOSPITAL_NAME)
    return [
        _visit(
            local,
            datetime(2024, 3, 4, 8, 30, tzinfo=t),
            2,
            "J06.9",
            "Nhiễm trùng đường hô hấp trên cấp",
            245_000,
            "PRIMARY",
        ),
        _visit(
            hospital,
            datetime(2024, 9, 16, 9, 0, tzinfo=t),
            3,
            "K29.7",
            "Viêm dạ dày, không đặc hiệu",
            680_000,
            "REFERRED",
            LOCAL_FACILITY_CODE,
        ),
        _visit(
            hospital,
            datetime(2025, 6, 2, 7, 45, tzinfo=t),
            96,
            "A09",
            "Viêm dạ dày ruột do nhiễm trùng",
            6_350_000,
            "REFERRED",
            LOCAL_FACILITY_CODE,
        ),
        _visit(
            local,
            datetime(2026, 2, 10, 14, 15, tzinfo=t),
            1,
            "I10",
            "Tăng huyết áp vô căn (nguyên phát)",
            312_000,
            "PRIMARY",
        ),
    ]


def benefits(office_id: int) -> list[dict[str, Any]]:
    return [
        {
            "person_code": CODE,
            "regime": "SICKNESS",
            "decision_number": "1523/QĐ-BHXH",
            "decided_on": date(2020, 6, 22),
            "period_from": date(2020, 6, 8),
            "period_to": date(2020, 6, 12),
            "amount": (Decimal("5453400") * Decimal("0.75") * 5 / 24).quantize(Decimal("1")),
            "paying_office_id": office_id,
        }
    ]


def registration(office_id: int) -> dict[str, Any]:
    return {
        "reference_number": "01-2020-000817",
        "client_mutation_id": None,
        "status": "APPROVED",
        "applicant_name": NAME,
        "social_insurance_code": CODE,
        "id_type": "CCCD",
        "id_number": "111349876090",
        "address_scheme": "2004",
        "province_code": "01",
        "district_code": "272",
        "ward_code": "09763",
        "street": "Thôn 4 Thụ Trai",
        "contact_person": NAME,
        "email": "biennt@vss.gov.vn",
        "phone": "0983847986",
        "start_date": date(2020, 8, 17),
        "channel": "PORTAL",
        "receiving_office_id": office_id,
        "province_scope": "01",
        "submission_method": "AT_OFFICE",
        "submitted_at": datetime(2020, 8, 10, 10, 5, tzinfo=VIETNAM_TZ),
        "decided_at": datetime(2020, 8, 17, 9, 30, tzinfo=VIETNAM_TZ),
    }
