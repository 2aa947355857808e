"""Enums of the contract. Values are the strings stored in the database."""

from __future__ import annotations

from enum import Enum

import strawberry

from auth.viewer import Role as _Role


@strawberry.enum
class Gender(Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


@strawberry.enum(description="9-digit CMND, 12-digit CCCD, passport (a letter and 7 digits).")
class IdDocumentType(Enum):
    CMND = "CMND"
    CCCD = "CCCD"
    PASSPORT = "PASSPORT"


@strawberry.enum(description="BHXH, BHTN, BHTNLĐ-BNN, BHYT.")
class InsuranceType(Enum):
    SOCIAL = "SOCIAL"
    UNEMPLOYMENT = "UNEMPLOYMENT"
    OCCUPATIONAL_ACCIDENT = "OCCUPATIONAL_ACCIDENT"
    HEALTH = "HEALTH"


@strawberry.enum
class BenefitRegime(Enum):
    SICKNESS = "SICKNESS"
    MATERNITY = "MATERNITY"
    CONVALESCENCE = "CONVALESCENCE"
    OCCUPATIONAL_ACCIDENT = "OCCUPATIONAL_ACCIDENT"
    MONTHLY_PENSION = "MONTHLY_PENSION"
    ONE_TIME_SOCIAL_INSURANCE = "ONE_TIME_SOCIAL_INSURANCE"
    SURVIVORSHIP = "SURVIVORSHIP"
    UNEMPLOYMENT = "UNEMPLOYMENT"


@strawberry.enum
class RegistrationStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@strawberry.enum(description="Cổng TTĐT BHXH Việt Nam, or an I-VAN organisation.")
class TransactionChannel(Enum):
    PORTAL = "PORTAL"
    IVAN = "IVAN"


@strawberry.enum(description="Bưu chính công ích, or at the receiving office.")
class SubmissionMethod(Enum):
    POSTAL = "POSTAL"
    AT_OFFICE = "AT_OFFICE"


@strawberry.enum
class Role(Enum):
    CITIZEN = _Role.CITIZEN.value
    OFFICER = _Role.OFFICER.value
    ANALYST = _Role.ANALYST.value
    PARTNER = _Role.PARTNER.value
    ADMIN = _Role.ADMIN.value


@strawberry.enum
class CardStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SUSPENDED = "SUSPENDED"


@strawberry.enum
class VisitType(Enum):
    OUTPATIENT = "OUTPATIENT"
    INPATIENT = "INPATIENT"


@strawberry.enum
class EventType(Enum):
    REGISTRATION_SUBMITTED = "REGISTRATION_SUBMITTED"
    REGISTRATION_APPROVED = "REGISTRATION_APPROVED"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED"
    CARD_ISSUED = "CARD_ISSUED"
    CARD_UPDATED = "CARD_UPDATED"
    CONTRIBUTION_RECORDED = "CONTRIBUTION_RECORDED"
    MEDICAL_VISIT_RECORDED = "MEDICAL_VISIT_RECORDED"
    BENEFIT_DECIDED = "BENEFIT_DECIDED"


@strawberry.enum(description="Tuyến of a visit: decides, with the facility's level, what the fund pays.")
class CareRoute(Enum):
    PRIMARY = "PRIMARY"
    REFERRED = "REFERRED"
    OUT_OF_ROUTE = "OUT_OF_ROUTE"
    EMERGENCY = "EMERGENCY"


@strawberry.enum(description="Tờ khai mẫu 01: đăng ký sử dụng, điều chỉnh thông tin, ngừng sử dụng.")
class RegistrationPurpose(Enum):
    REGISTER = "REGISTER"
    ADJUST = "ADJUST"
    STOP = "STOP"
