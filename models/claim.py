"""Claims (hồ sơ đề nghị thanh toán BHYT): a hospital's visit (claims table XML1) with its itemised
drug lines (XML2) and service lines (XML3), reviewed by the officers of the facility's province.

The catalogue holds the codes a line may name. A claim's totals are sums over its lines, written by
SQL (resolvers/claim.py); the fingerprint (patient, facility, admission, lines) is unique, so the
same claim cannot be stored twice, even by two requests at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import Money, UtcDateTime

CLAIM_STATES = ("SUBMITTED", "UNDER_REVIEW", "ACCEPTED", "PARTLY_ACCEPTED", "REFUSED")
DECIDED_STATES = ("ACCEPTED", "PARTLY_ACCEPTED", "REFUSED")
LINE_KINDS = ("DRUG", "SERVICE")
LINE_STATES = ("PENDING", "ACCEPTED", "REFUSED")


class CatalogueItem(SQLModel, table=True):
    """A drug (thuốc, XML2) or a medical service (dịch vụ kỹ thuật, XML3) a claim line may name."""

    __tablename__ = "catalogue_item"
    __table_args__ = (
        UniqueConstraint("kind", "code", name="uq_catalogue_kind_code"),
        CheckConstraint("kind IN ('DRUG', 'SERVICE')", name="ck_catalogue_kind"),
        # Lines are matched upper-cased (resolvers/claim.py): so are the codes.
        CheckConstraint("code = upper(code)", name="ck_catalogue_code_upper"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    code: str = Field(max_length=30)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    # Giá tối đa: the highest unit price the fund accepts for the item (the approved price of a
    # service, the tender price of a drug), in VND; null when the catalogue sets none.
    max_unit_price: Decimal | None = Field(default=None, sa_column=Column(Money))


class Claim(SQLModel, table=True):
    """One claim for one visit. province_code is the facility's: its officers review it."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint(
            "state IN ('SUBMITTED', 'UNDER_REVIEW', 'ACCEPTED', 'PARTLY_ACCEPTED', 'REFUSED')",
            name="ck_claim_state",
        ),
        CheckConstraint("claimed_fund + claimed_patient = claimed_total", name="ck_claim_adds_up"),
        # The hospital's list and the province's list, newest first, filtered by state.
        Index("ix_claim_facility_newest", "facility_id", "submitted_at", "id"),
        Index("ix_claim_province_newest", "province_code", "submitted_at", "id"),
        Index("ix_claim_person_newest", "person_id", "submitted_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="medical_visit.id", unique=True)
    person_id: int = Field(foreign_key="person.id")
    facility_id: int = Field(foreign_key="health_facility.id")
    province_code: str = Field(max_length=2)
    state: str = Field(default="SUBMITTED", max_length=16)
    # sha256 of patient, facility, admission and lines (resolvers/claim.py fingerprint).
    fingerprint: str = Field(max_length=64, unique=True)
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    review_started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # The fund's share of the visit (models/rules fund_share), in ten-thousandths, and why.
    share_basis_points: int
    share_reason: str = Field(max_length=200)
    benefit_level: int
    claimed_total: Decimal = Field(sa_column=Column(Money, nullable=False))
    claimed_fund: Decimal = Field(sa_column=Column(Money, nullable=False))
    claimed_patient: Decimal = Field(sa_column=Column(Money, nullable=False))
    accepted_total: Decimal | None = Field(default=None, sa_column=Column(Money))
    accepted_fund: Decimal | None = Field(default=None, sa_column=Column(Money))
    accepted_patient: Decimal | None = Field(default=None, sa_column=Column(Money))
    decision_note: str | None = Field(default=None, max_length=500)


class ClaimLine(SQLModel, table=True):
    """One drug or service line: quantity × unit price, and the fund's and the patient's share."""

    __tablename__ = "claim_line"
    __table_args__ = (
        UniqueConstraint("claim_id", "number", name="uq_claim_line_number"),
        CheckConstraint("quantity > 0 AND unit_price >= 0", name="ck_claim_line_values"),
        CheckConstraint("fund_share + patient_share = amount", name="ck_claim_line_adds_up"),
        CheckConstraint("state IN ('PENDING', 'ACCEPTED', 'REFUSED')", name="ck_claim_line_state"),
        CheckConstraint("state != 'REFUSED' OR refusal_reason IS NOT NULL", name="ck_claim_line_reason"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id")
    number: int  # 1, 2, ... in the order submitted (STT)
    item_id: int = Field(foreign_key="catalogue_item.id")
    kind: str = Field(max_length=8)
    code: str = Field(max_length=30)
    # Hundredths, like money: XML2's SO_LUONG may be a fraction (half a tablet).
    quantity: Decimal = Field(sa_column=Column(Money, nullable=False))
    unit_price: Decimal = Field(sa_column=Column(Money, nullable=False))
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    fund_share: Decimal = Field(sa_column=Column(Money, nullable=False))
    patient_share: Decimal = Field(sa_column=Column(Money, nullable=False))
    state: str = Field(default="PENDING", max_length=8)
    refusal_reason: str | None = Field(default=None, max_length=32)
    refusal_note: str | None = Field(default=None, max_length=500)


# A small part of the Ministry of Health's lists, for the demo data and the tests: codes in the
# shape of the lists' (drugs: Circular 20/2022/TT-BYT's numbering; services: Circular 39/2018 and
# 13/2019/TT-BYT's), names as the lists write them (the codes are unconfirmed against the lists).
CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("DRUG", "40.17", "Paracetamol (acetaminophen) 500 mg", "viên"),
    ("DRUG", "40.104", "Ibuprofen 400 mg", "viên"),
    ("DRUG", "40.158", "Amoxicilin 500 mg", "viên"),
    ("DRUG", "40.160", "Amoxicilin + acid clavulanic 875 mg + 125 mg", "viên"),
    ("DRUG", "40.218", "Ceftriaxon 1 g", "lọ"),
    ("DRUG", "40.483", "Metformin 850 mg", "viên"),
    ("DRUG", "40.527", "Insulin người tác dụng nhanh 100 IU/ml", "lọ"),
    ("DRUG", "40.392", "Amlodipin 5 mg", "viên"),
    ("DRUG", "40.677", "Omeprazol 20 mg", "viên"),
    ("DRUG", "40.1008", "Natri clorid 0,9% 500 ml", "chai"),
    ("DRUG", "40.61", "Salbutamol 2,5 mg/2,5 ml (khí dung)", "ống"),
    ("DRUG", "40.789", "Oresol (ORS)", "gói"),
    ("SERVICE", "02.1896", "Khám bệnh", "lần"),
    ("SERVICE", "K01.1", "Ngày giường bệnh Nội khoa loại 1", "ngày"),
    ("SERVICE", "K03.1", "Ngày giường bệnh Ngoại khoa loại 1", "ngày"),
    ("SERVICE", "23.0020.1494", "Tổng phân tích tế bào máu ngoại vi (bằng máy đếm laser)", "lần"),
    ("SERVICE", "23.0075.1506", "Định lượng Glucose (máu)", "lần"),
    ("SERVICE", "23.0051.1494", "Định lượng Creatinin (máu)", "lần"),
    ("SERVICE", "18.0119.0028", "Chụp X-quang ngực thẳng", "lần"),
    ("SERVICE", "18.0001.0001", "Siêu âm ổ bụng", "lần"),
    ("SERVICE", "21.0014.1778", "Điện tim thường", "lần"),
    ("SERVICE", "03.1893.0075", "Truyền tĩnh mạch", "lần"),
)


# The unit-price cap of each item (kind, code) in VND. The shape is the lists' (a service's approved
# price, Circular 22/2023/TT-BYT and its successors; a drug's tender price); the amounts are
# unconfirmed demo values, chosen at or above what the demo data and the tests claim. An item not
# here has no cap (NaCl 0.9%: its price is the facility's tender, not a national ceiling).
PRICE_CAPS: dict[tuple[str, str], Decimal] = {
    ("DRUG", "40.17"): Decimal("2000"),
    ("DRUG", "40.104"): Decimal("3000"),
    ("DRUG", "40.158"): Decimal("2500"),
    ("DRUG", "40.160"): Decimal("15000"),
    ("DRUG", "40.218"): Decimal("60000"),
    ("DRUG", "40.483"): Decimal("2500"),
    ("DRUG", "40.527"): Decimal("250000"),
    ("DRUG", "40.392"): Decimal("3000"),
    ("DRUG", "40.677"): Decimal("5000"),
    ("DRUG", "40.61"): Decimal("10000"),
    ("DRUG", "40.789"): Decimal("5000"),
    ("SERVICE", "02.1896"): Decimal("50600"),
    ("SERVICE", "K01.1"): Decimal("300000"),
    ("SERVICE", "K03.1"): Decimal("350000"),
    ("SERVICE", "23.0020.1494"): Decimal("50000"),
    ("SERVICE", "23.0075.1506"): Decimal("25000"),
    ("SERVICE", "23.0051.1494"): Decimal("25000"),
    ("SERVICE", "18.0119.0028"): Decimal("70000"),
    ("SERVICE", "18.0001.0001"): Decimal("50000"),
    ("SERVICE", "21.0014.1778"): Decimal("40000"),
    ("SERVICE", "03.1893.0075"): Decimal("25000"),
}
