from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from models.geo import address_constraints
from models.types import UtcDateTime


class Registration(SQLModel, table=True):
    """Tờ khai mẫu 01: a request for an electronic-transaction account."""

    __tablename__ = "registration"
    __table_args__ = (
        *address_constraints("registration"),
        CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="ck_registration_status"),
        CheckConstraint("channel IN ('PORTAL', 'IVAN')", name="ck_registration_channel"),
        CheckConstraint("submission_method IN ('POSTAL', 'AT_OFFICE')", name="ck_registration_method"),
        CheckConstraint("id_type IN ('CMND', 'CCCD', 'PASSPORT')", name="ck_registration_id_type"),
        CheckConstraint(
            "(status = 'PENDING') = (decided_at IS NULL)", name="ck_registration_decided_when_not_pending"
        ),
        # One pending form per code: a constraint, so concurrent submissions cannot both pass.
        Index(
            "uq_registration_one_pending",
            "social_insurance_code",
            unique=True,
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_registration_newest", "status", "submitted_at", "id"),
        Index("ix_registration_office_newest", "receiving_office_id", "submitted_at", "id"),
        Index("ix_registration_code", "social_insurance_code"),
        CheckConstraint("purpose IN ('REGISTER', 'ADJUST', 'STOP')", name="ck_registration_purpose"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference_number: str = Field(max_length=20, unique=True)
    client_mutation_id: str | None = Field(default=None, max_length=64, unique=True)
    # A keyed hash of the form sent with the clientMutationId: a retry must send the same form.
    input_fingerprint: str | None = Field(default=None, max_length=64)
    status: str = Field(default="PENDING", max_length=8)
    # Form 01's three purposes: đăng ký sử dụng, điều chỉnh thông tin, ngừng sử dụng.
    purpose: str = Field(default="REGISTER", max_length=8)
    applicant_name: str = Field(max_length=120)
    social_insurance_code: str = Field(max_length=10)
    id_type: str = Field(max_length=8)
    id_number: str = Field(max_length=12)
    address_scheme: str = Field(default="2004", max_length=4)
    province_code: str = Field(max_length=2)
    district_code: str | None = Field(default=None, max_length=3)
    ward_code: str = Field(max_length=5)
    street: str | None = Field(default=None, max_length=200)
    contact_person: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str = Field(max_length=15)
    start_date: date
    channel: str = Field(max_length=8)
    receiving_office_id: int = Field(foreign_key="office.id")
    # Denormalised from the office: officers' row scope is a plain indexed filter.
    province_scope: str = Field(max_length=2, index=True)
    submission_method: str = Field(max_length=10)
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    decided_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    rejection_reason: str | None = Field(default=None, max_length=1000)
    portrait_sha256: str | None = Field(default=None, max_length=64)
    id_front_sha256: str | None = Field(default=None, max_length=64)
    id_back_sha256: str | None = Field(default=None, max_length=64)
