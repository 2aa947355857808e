"""Reference rows: administrative units (both schemes), offices, facilities, agents."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from models.text import fold
from seed import reference as ref

Row = dict[str, Any]

WARDS_BY_PROVINCE: dict[str, list[ref.Ward]] = defaultdict(list)
for _ward in ref.WARDS:
    WARDS_BY_PROVINCE[_ward.province_code].append(_ward)
PROVINCE_BY_CODE = {p.code: p for p in ref.PROVINCES}
SUCCESSOR = {p.code: p.province_2025 for p in ref.PROVINCES}


def admin_unit_rows() -> list[Row]:
    rows: list[Row] = []
    for p in ref.PROVINCES:
        rows.append(
            {
                "scheme": "2004",
                "code": p.code,
                "level": "PROVINCE",
                "name": p.name,
                "parent_code": None,
                "province_code": p.code,
                "successor_province_code": p.province_2025,
            }
        )
    for d in ref.DISTRICTS:
        rows.append(
            {
                "scheme": "2004",
                "code": d.code,
                "level": "DISTRICT",
                "name": d.name,
                "parent_code": d.province_code,
                "province_code": d.province_code,
                "successor_province_code": SUCCESSOR[d.province_code],
            }
        )
    for w in ref.WARDS:
        rows.append(
            {
                "scheme": "2004",
                "code": w.code,
                "level": "WARD",
                "name": w.name,
                "parent_code": w.district_code,
                "province_code": w.province_code,
                "successor_province_code": SUCCESSOR[w.province_code],
            }
        )
    # The 2025 shape: 34 provinces; communes keep their codes (names as last registered).
    for code, name in ref.PROVINCES_2025:
        rows.append(
            {
                "scheme": "2025",
                "code": code,
                "level": "PROVINCE",
                "name": name,
                "parent_code": None,
                "province_code": code,
                "successor_province_code": None,
            }
        )
    for w in ref.WARDS:
        successor = SUCCESSOR[w.province_code]
        rows.append(
            {
                "scheme": "2025",
                "code": w.code,
                "level": "WARD",
                "name": w.name,
                "parent_code": successor,
                "province_code": successor,
                "successor_province_code": None,
            }
        )
    return rows


def _place(province: ref.Province, rng: random.Random) -> tuple[str, str, float, float]:
    """A ward of the province and a point inside its box, near the provincial capital."""
    ward = rng.choice(WARDS_BY_PROVINCE[province.code])
    min_lat, min_lon, max_lat, max_lon = province.bbox
    lat = min(max_lat, max(min_lat, rng.gauss(province.latitude, (max_lat - min_lat) / 6)))
    lon = min(max_lon, max(min_lon, rng.gauss(province.longitude, (max_lon - min_lon) / 6)))
    return ward.district_code, ward.code, round(lat, 6), round(lon, 6)


def office_rows() -> list[Row]:
    hanoi = PROVINCE_BY_CODE["01"]
    hoan_kiem = [w for w in WARDS_BY_PROVINCE["01"] if w.district_code == "002"]
    national_ward = hoan_kiem[0] if hoan_kiem else WARDS_BY_PROVINCE["01"][0]
    rows: list[Row] = [
        {
            "code": "00",
            "name": "Bảo hiểm xã hội Việt Nam",
            "search_name": fold("Bảo hiểm xã hội Việt Nam"),
            "level": "NATIONAL",
            "address_scheme": "2004",
            "province_code": hanoi.code,
            "district_code": national_ward.district_code,
            "ward_code": national_ward.code,
            "street": "7 Tràng Thi",
            "phone": "1900.9068",
            "latitude": 21.0260,
            "longitude": 105.8460,
        }
    ]
    for p in ref.PROVINCES:
        rows.append(
            {
                "code": p.code,
                "name": p.office_name,
                "search_name": fold(p.office_name),
                "level": "PROVINCE",
                "address_scheme": "2004",
                "province_code": p.code,
                "district_code": p.office_district_code,
                "ward_code": p.office_ward_code,
                "street": p.office_street,
                "phone": p.office_phone,
                "latitude": p.latitude,
                "longitude": p.longitude,
            }
        )
    return rows


FACILITIES_PER_PROVINCE = 32
AGENTS_PER_PROVINCE = 8


def facility_rows(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    used: set[str] = set()
    for code, name, province_code, lat, lon in ref.FAMOUS_HOSPITALS:
        province = PROVINCE_BY_CODE[province_code]
        ward = WARDS_BY_PROVINCE[province_code][len(rows) % len(WARDS_BY_PROVINCE[province_code])]
        used.add(code)
        rows.append(
            {
                "code": code,
                "name": name,
                "search_name": fold(name),
                "address_scheme": "2004",
                "province_code": province.code,
                "district_code": ward.district_code,
                "ward_code": ward.code,
                "street": None,
                "latitude": lat,
                "longitude": lon,
                "accepts_health_insurance": True,
                "issues_sick_leave": True,
            }
        )
    names = {r["name"] for r in rows}
    for province in ref.PROVINCES:
        serial = 0
        for _ in range(FACILITIES_PER_PROVINCE):
            pattern, accepts, sick_leave = rng.choice(ref.FACILITY_NAME_PATTERNS)
            district_code, ward_code, lat, lon = _place(province, rng)
            ward_name = next(w.name for w in WARDS_BY_PROVINCE[province.code] if w.code == ward_code)
            district = next((d.name for d in ref.DISTRICTS if d.code == district_code), province.name)
            place = province.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
            name = pattern.format(
                place=place,
                district=district.split(" ", 1)[-1] if " " in district else district,
                ward=ward_name,
                name=rng.choice(ref.UNIT_NAME_WORDS),
            )
            while name in names:
                name = f"{name} cơ sở {rng.randint(2, 9)}"
            names.add(name)
            code = f"{province.code}{serial:03d}"
            while code in used:
                serial += 1
                code = f"{province.code}{serial:03d}"
            used.add(code)
            serial += 1
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "search_name": fold(name),
                    "address_scheme": "2004",
                    "province_code": province.code,
                    "district_code": district_code,
                    "ward_code": ward_code,
                    "street": f"{rng.randint(1, 300)} {rng.choice(ref.STREET_NAMES)}",
                    "latitude": lat,
                    "longitude": lon,
                    "accepts_health_insurance": accepts,
                    "issues_sick_leave": sick_leave,
                }
            )
    return rows


def agent_rows(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for province in ref.PROVINCES:
        area = province.office_phone.split(".")[0]
        for serial in range(AGENTS_PER_PROVINCE):
            district_code, ward_code, lat, lon = _place(province, rng)
            ward_name = next(w.name for w in WARDS_BY_PROVINCE[province.code] if w.code == ward_code)
            place = province.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
            district = next((d.name for d in ref.DISTRICTS if d.code == district_code), province.name)
            name = rng.choice(ref.COLLECTION_AGENT_PATTERNS).format(
                place=place, ward=ward_name, district=district
            )
            rows.append(
                {
                    "code": f"DL{province.code}{serial + 1:03d}",
                    "name": name,
                    "search_name": fold(name),
                    "address_scheme": "2004",
                    "province_code": province.code,
                    "district_code": district_code,
                    "ward_code": ward_code,
                    "street": f"{rng.randint(1, 300)} {rng.choice(ref.STREET_NAMES)}",
                    "phone": f"{area}.{rng.randint(3000000, 3999999)}",
                    "latitude": lat,
                    "longitude": lon,
                }
            )
    return rows
