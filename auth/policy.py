"""The access policy of privacy.md, declared once.

Two layers, both decided from facts the request already has:

* row scopes (auth/scopes.py) go into SQL, so out-of-scope rows never leave the database and
  a lookup by id looks exactly like "not found";
* field rules (this module) are a table: every guarded field of every type is classified, and
  each class says, per relation between viewer and row, ALLOW, MASK or FORBID. A field check is
  a dictionary lookup on the relation computed when the object was built: synchronous and
  without SQL, so it costs nothing per row.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, StrEnum
from typing import Any, TypeVar

from auth.masking import mask_card_number, mask_code, mask_email, mask_name, mask_phone
from auth.viewer import Role, Viewer


class Relation(StrEnum):
    """What the viewer is to the row's owner."""

    SELF = "SELF"
    STAFF = "STAFF"  # an officer of the row's province (or of the national level)
    ADMIN = "ADMIN"
    AUDITED = "AUDITED"  # ADMIN who gave a reason for this request: health data too, logged
    ANALYST = "ANALYST"
    HOSPITAL = "HOSPITAL"  # the facility that recorded the visit / checks the card
    EMPLOYER = "EMPLOYER"  # the unit the person works for, and only its periods
    AGENT = "AGENT"  # a collection agent (đại lý thu), for the households of its catchment
    # The head of the person's household, while the person has not revoked it: the cards only.
    HOUSEHOLD_HEAD = "HOUSEHOLD_HEAD"
    OTHER = "OTHER"  # signed in, unrelated
    ANONYMOUS = "ANONYMOUS"


class Decision(Enum):
    ALLOW = "ALLOW"
    MASK = "MASK"
    FORBID = "FORBID"


class FieldClass(StrEnum):
    PUBLIC = "PUBLIC"  # whoever can reach the object
    IDENTITY = "IDENTITY"  # socialInsuranceCode, fullName, gender
    PRIVATE = "PRIVATE"
    EMPLOYMENT = "EMPLOYMENT"  # private, but an employer sees it for periods at its unit
    CARD = "CARD"  # private, but a hospital checks cards
    SENSITIVE = "SENSITIVE"  # health data
    UNIT_DETAIL = "UNIT_DETAIL"  # a unit beyond its public view (code, name, province, tax code)
    OWN_LOG = "OWN_LOG"  # "who looked at my data": the person and ADMIN
    OWN = "OWN"  # the person alone: the signed e-card is shown by its holder, from their phone


A, M, F = Decision.ALLOW, Decision.MASK, Decision.FORBID
R = Relation

_PRIVATE = {
    R.SELF: A,
    R.STAFF: A,
    R.ADMIN: A,
    R.AUDITED: A,
    R.ANALYST: M,
    R.HOSPITAL: F,
    R.EMPLOYER: F,
    R.AGENT: F,
    R.HOUSEHOLD_HEAD: F,
    R.OTHER: F,
    R.ANONYMOUS: F,
}

RULES: dict[FieldClass, dict[Relation, Decision]] = {
    FieldClass.PUBLIC: dict.fromkeys(Relation, A),
    # An agent collects for people it must name; the head reads whose card is whose (what the card
    # itself prints), and nothing else.
    FieldClass.IDENTITY: {**_PRIVATE, R.HOSPITAL: A, R.EMPLOYER: A, R.AGENT: A, R.HOUSEHOLD_HEAD: A},
    FieldClass.PRIVATE: _PRIVATE,
    FieldClass.EMPLOYMENT: {**_PRIVATE, R.EMPLOYER: A},
    FieldClass.CARD: {**_PRIVATE, R.HOSPITAL: A, R.HOUSEHOLD_HEAD: A},
    # ADMIN runs the system but reads no diagnosis without a reason (AUDITED, logged with it);
    # analysts get health data as aggregates only.
    FieldClass.SENSITIVE: {**_PRIVATE, R.ADMIN: F, R.ANALYST: F, R.HOSPITAL: A},
    FieldClass.UNIT_DETAIL: {
        **dict.fromkeys(Relation, F),
        R.STAFF: A,
        R.ADMIN: A,
        R.AUDITED: A,
        R.ANALYST: A,
        R.EMPLOYER: A,
    },
    FieldClass.OWN_LOG: {**dict.fromkeys(Relation, F), R.SELF: A, R.ADMIN: A, R.AUDITED: A},
    FieldClass.OWN: {**dict.fromkeys(Relation, F), R.SELF: A},
}

P, ID_, PR, EM, CA, S, UD = (
    FieldClass.PUBLIC,
    FieldClass.IDENTITY,
    FieldClass.PRIVATE,
    FieldClass.EMPLOYMENT,
    FieldClass.CARD,
    FieldClass.SENSITIVE,
    FieldClass.UNIT_DETAIL,
)

# Every field of every type that carries personal data. tests/test_policy.py fails when the
# schema has a field on these types that is missing here.
FIELDS: dict[str, FieldClass] = {
    # Person
    "Person.id": P,
    "Person.socialInsuranceCode": ID_,
    "Person.fullName": ID_,
    "Person.gender": ID_,
    "Person.birthYear": ID_,
    "Person.dateOfBirth": PR,
    "Person.idDocument": PR,
    "Person.phone": PR,
    "Person.email": PR,
    "Person.address": PR,
    "Person.healthInsuranceCard": CA,
    "Person.contributionPeriods": EM,
    "Person.participation": PR,
    "Person.benefits": PR,
    "Person.medicalVisits": S,
    "Person.dataAccessLog": FieldClass.OWN_LOG,
    # ContributionPeriod: its existence is private to the person (the link is guarded), the
    # salary more so.
    "ContributionPeriod.id": P,
    "ContributionPeriod.person": P,
    "ContributionPeriod.unit": P,
    "ContributionPeriod.insuranceType": EM,
    "ContributionPeriod.fromMonth": EM,
    "ContributionPeriod.toMonth": EM,
    "ContributionPeriod.months": EM,
    "ContributionPeriod.occupation": EM,
    "ContributionPeriod.workplace": EM,
    "ContributionPeriod.currency": EM,
    "ContributionPeriod.salary": EM,
    "ContributionPeriod.salaryCoefficient": EM,
    "ContributionPeriod.voided": EM,
    "ContributionPeriod.revisions": EM,
    # HealthInsuranceCard
    "HealthInsuranceCard.id": P,
    "HealthInsuranceCard.number": CA,
    "HealthInsuranceCard.holder": P,
    "HealthInsuranceCard.beneficiaryGroup": CA,
    "HealthInsuranceCard.benefitLevel": CA,
    "HealthInsuranceCard.validFrom": CA,
    "HealthInsuranceCard.validTo": CA,
    "HealthInsuranceCard.status": CA,
    "HealthInsuranceCard.primaryCareFacility": CA,
    "HealthInsuranceCard.fiveYearsContinuousFrom": CA,
    "HealthInsuranceCard.qr": FieldClass.OWN,
    # MedicalVisit: all of it is health data.
    "MedicalVisit.id": P,
    "MedicalVisit.person": P,
    "MedicalVisit.facility": S,
    "MedicalVisit.visitType": S,
    "MedicalVisit.admittedAt": S,
    "MedicalVisit.dischargedAt": S,
    "MedicalVisit.diagnosisCode": S,
    "MedicalVisit.diagnosis": S,
    "MedicalVisit.totalCost": S,
    "MedicalVisit.insurancePaid": S,
    "MedicalVisit.patientPaid": S,
    "MedicalVisit.route": S,
    "MedicalVisit.voided": S,
    "MedicalVisit.revisions": S,
    # Claim and its lines: health data (what was treated, with what), like the visit.
    "Claim.id": P,
    **{
        f"Claim.{f}": S
        for f in (
            "state",
            "facility",
            "patient",
            "medicalVisit",
            "visitType",
            "admittedAt",
            "dischargedAt",
            "diagnosisCode",
            "route",
            "benefitLevel",
            "fundShareRate",
            "fundShareReason",
            "totalCost",
            "insurancePaid",
            "patientPaid",
            "acceptedTotalCost",
            "acceptedInsurancePaid",
            "acceptedPatientPaid",
            "submittedAt",
            "reviewStartedAt",
            "decidedAt",
            "decisionNote",
            "lines",
        )
    },
    **{
        f"ClaimLine.{f}": S
        for f in (
            "number",
            "kind",
            "code",
            "name",
            "unit",
            "quantity",
            "unitPrice",
            "amount",
            "insurancePaid",
            "patientPaid",
            "state",
            "refusalReason",
            "refusalNote",
        )
    },
    # Benefit
    "Benefit.id": P,
    "Benefit.person": P,
    "Benefit.regime": PR,
    "Benefit.decisionNumber": PR,
    "Benefit.decidedOn": PR,
    "Benefit.periodFrom": PR,
    "Benefit.periodTo": PR,
    "Benefit.amount": PR,
    "Benefit.payingOffice": PR,
    "Benefit.voided": PR,
    "Benefit.revisions": PR,
    # Registration: the form itself is only reachable by its applicant and staff in scope.
    "Registration.id": P,
    "Registration.referenceNumber": ID_,
    "Registration.status": ID_,
    "Registration.purpose": ID_,
    "Registration.documents": PR,
    "Registration.applicantName": ID_,
    "Registration.socialInsuranceCode": ID_,
    "Registration.idDocument": PR,
    "Registration.contactAddress": PR,
    "Registration.contactPerson": PR,
    "Registration.email": PR,
    "Registration.phone": PR,
    "Registration.startDate": ID_,
    "Registration.channel": ID_,
    "Registration.receivingOffice": ID_,
    "Registration.submissionMethod": ID_,
    "Registration.submittedAt": ID_,
    "Registration.decidedAt": ID_,
    "Registration.rejectionReason": PR,
    # Unit: code, name, province and tax code are public (participatingUnits).
    "Unit.id": P,
    "Unit.code": P,
    "Unit.name": P,
    "Unit.taxCode": P,
    "Unit.province": P,
    "Unit.address": UD,
    "Unit.employees": UD,
    "Unit.contributionPeriods": UD,
    # HouseholdMember: the household (its code, ward, payments) is for whoever reaches it (its
    # members, officers in scope, the agent of its ward, ADMIN); each member is that member's data.
    "HouseholdMember.position": P,
    "HouseholdMember.isHead": P,
    "HouseholdMember.delegated": P,
    "HouseholdMember.socialInsuranceCode": ID_,
    "HouseholdMember.fullName": ID_,
    "HouseholdMember.card": CA,
    # HouseholdPaymentLine: one member's share of a payment. Its place in the scale and its amount
    # are the household's money (the payment's total is for whoever reaches the household); whose
    # share it is reads as the member's identity (the agent names whom it collected for), and what
    # it bought (the card's validity) as the member's card: the member, officers, the head while
    # delegated; not the agent, nor another member.
    "HouseholdPaymentLine.rank": P,
    "HouseholdPaymentLine.amount": P,
    "HouseholdPaymentLine.socialInsuranceCode": ID_,
    "HouseholdPaymentLine.fullName": ID_,
    "HouseholdPaymentLine.validFrom": CA,
    "HouseholdPaymentLine.validTo": CA,
}

# Fields whose clear reads by anyone but the person are written to the access log (and every masked
# read of any field: auth/guard.py).
LOGGED_CLASSES = frozenset({FieldClass.PRIVATE, FieldClass.EMPLOYMENT, FieldClass.CARD, FieldClass.SENSITIVE})

# Per field: the decision for each relation, resolved once at import.
DECISIONS: dict[str, dict[Relation, Decision]] = {name: RULES[cls] for name, cls in FIELDS.items()}
LOGGED: frozenset[str] = frozenset(name for name, cls in FIELDS.items() if cls in LOGGED_CLASSES)

T = TypeVar("T")

# How an analyst sees a masked field. Fields without a masker read as null (no error): a masked
# link (a card, the periods) is returned, and the objects behind it mask themselves.
MASKERS: dict[str, Callable[[Any], Any]] = {
    "Person.socialInsuranceCode": mask_code,
    "Person.fullName": mask_name,
    "Person.gender": lambda v: v,  # not identifying on its own, and what analysts group by
    "Person.birthYear": lambda v: v,  # the year stays where the date of birth is hidden
    "Person.phone": mask_phone,
    "Person.email": mask_email,
    "Person.address": lambda v: v,  # schema/person.py drops the street line: where, not who
    "Person.healthInsuranceCard": lambda v: v,
    "Person.contributionPeriods": lambda v: v,
    "Person.participation": lambda v: v,
    "Person.benefits": lambda v: v,
    "Registration.applicantName": mask_name,
    "Registration.socialInsuranceCode": mask_code,
    "HealthInsuranceCard.number": mask_card_number,
    "HealthInsuranceCard.beneficiaryGroup": lambda v: v,
    "HealthInsuranceCard.benefitLevel": lambda v: v,
    "HealthInsuranceCard.validFrom": lambda v: v,
    "HealthInsuranceCard.validTo": lambda v: v,
    "HealthInsuranceCard.status": lambda v: v,
    "HealthInsuranceCard.primaryCareFacility": lambda v: v,
    "HealthInsuranceCard.fiveYearsContinuousFrom": lambda v: v,
    **{
        f"ContributionPeriod.{f}": (lambda v: v)
        # Not occupation nor workplace: with birth year, gender and ward they single a person out.
        for f in ("insuranceType", "fromMonth", "toMonth", "months", "currency")
    },
    **{
        f"Benefit.{f}": (lambda v: v)
        for f in ("regime", "decidedOn", "periodFrom", "periodTo", "payingOffice")
    },
    # Whether a record counts is no more than its existence says; its revisions mask their values
    # field by field (schema/revision.py).
    **{f"{t}.voided": (lambda v: v) for t in ("ContributionPeriod", "MedicalVisit", "Benefit")},
}


def relation_to_person(viewer: Viewer | None, person_id: int, province_code: str | None) -> Relation:
    """The relation to a person row, from the viewer and the row's owner and province."""
    if viewer is None:
        return R.ANONYMOUS
    role = viewer.role
    if role is Role.CITIZEN:
        return R.SELF if viewer.person_id == person_id else R.OTHER
    if role is Role.OFFICER:
        if viewer.province_code is None or viewer.province_code == province_code:
            return R.STAFF
        return R.OTHER
    if role is Role.ADMIN:
        return R.AUDITED if viewer.access_reason else R.ADMIN
    if role is Role.ANALYST:
        return R.ANALYST
    # Partners only ever receive persons their row scope let through (their patients, their
    # employees, the holder of a card they checked); an agent none (relation_to_member).
    if viewer.facility_id is not None:
        return R.HOSPITAL
    return R.EMPLOYER if viewer.unit_id is not None else R.OTHER


def relation_to_member(
    viewer: Viewer | None, person_id: int, province_code: str | None, head_person_id: int, revoked: bool
) -> Relation:
    """The relation to a household member (the row reached through a household in the viewer's
    scope): the head reads the member's card while the member has not revoked it (delegated
    access); an agent only ever reaches households of its catchment."""
    if viewer is not None and viewer.role is Role.CITIZEN and viewer.person_id != person_id:
        return R.HOUSEHOLD_HEAD if viewer.person_id == head_person_id and not revoked else R.OTHER
    if viewer is not None and viewer.role is Role.PARTNER:
        return R.AGENT if viewer.agent_id is not None else R.OTHER
    return relation_to_person(viewer, person_id, province_code)


def relation_to_period(
    viewer: Viewer | None, person_id: int, province_code: str | None, unit_id: int
) -> Relation:
    relation = relation_to_person(viewer, person_id, province_code)
    if relation is R.EMPLOYER and (viewer is None or viewer.unit_id != unit_id):
        return R.OTHER
    if relation is R.HOSPITAL:
        return R.OTHER
    return relation


def relation_to_visit(
    viewer: Viewer | None, person_id: int, province_code: str | None, facility_id: int
) -> Relation:
    relation = relation_to_person(viewer, person_id, province_code)
    if relation is R.HOSPITAL and (viewer is None or viewer.facility_id != facility_id):
        return R.OTHER
    if relation is R.EMPLOYER:
        return R.OTHER
    return relation


def relation_to_claim(
    viewer: Viewer | None, person_id: int, province_code: str, facility_id: int
) -> Relation:
    """A claim's officers are those of the facility's province (`province_code`), who review it;
    its hospital is the one that submitted it; its patient is SELF."""
    if viewer is None:
        return R.ANONYMOUS
    match viewer.role:
        case Role.CITIZEN:
            return R.SELF if viewer.person_id == person_id else R.OTHER
        case Role.OFFICER:
            return R.STAFF if viewer.province_code in (None, province_code) else R.OTHER
        case Role.ADMIN:
            return R.AUDITED if viewer.access_reason else R.ADMIN
        case Role.ANALYST:
            return R.ANALYST
        case Role.PARTNER if viewer.facility_id == facility_id:
            return R.HOSPITAL
    return R.OTHER


def relation_to_record(viewer: Viewer | None, person_id: int, province_code: str | None) -> Relation:
    """Cards and benefits: partners see cards through card checks only, benefits never."""
    return relation_to_person(viewer, person_id, province_code)


def relation_to_registration(viewer: Viewer | None, code: str, province_code: str) -> Relation:
    if viewer is None:
        return R.ANONYMOUS
    if viewer.role is Role.CITIZEN:
        return R.SELF if viewer.username == code else R.OTHER
    if viewer.role is Role.OFFICER:
        if viewer.province_code is None or viewer.province_code == province_code:
            return R.STAFF
        return R.OTHER
    if viewer.role is Role.ADMIN:
        return R.AUDITED if viewer.access_reason else R.ADMIN
    return R.OTHER


def relation_to_unit(viewer: Viewer | None, unit_id: int, province_code: str) -> Relation:
    if viewer is None:
        return R.ANONYMOUS
    role = viewer.role
    if role is Role.OFFICER:
        return R.STAFF if viewer.province_code in (None, province_code) else R.OTHER
    if role is Role.ADMIN:
        return R.AUDITED if viewer.access_reason else R.ADMIN
    if role is Role.ANALYST:
        return R.ANALYST
    if role is Role.PARTNER and viewer.unit_id == unit_id:
        return R.EMPLOYER
    return R.OTHER


def decide(field: str, relation: Relation) -> Decision:
    return DECISIONS[field][relation]


# ---------- what viewers send: filters, searches and sorts ----------

# What each filter argument of a list matches on, and whether matching needs the field in the
# clear (a text search would find a clear name behind a mask) or only visible (a masked address
# still shows its province; masked periods still show their unit). A role may filter only on what
# it may read; the matching itself runs under the row scopes of what it matches (auth/scopes.py).
FILTERS: dict[str, tuple[str, bool]] = {
    "persons.search": ("Person.fullName", True),
    "persons.provinceCode": ("Person.address", False),
    "persons.unitCode": ("Person.contributionPeriods", False),
}


def relation_to_list(viewer: Viewer | None) -> Relation:
    """The relation to the rows of a person list the viewer's scope lets through: a citizen's is
    himself, an officer's are in his province, a partner's are its patients or employees."""
    if viewer is None:
        return R.ANONYMOUS
    return relation_to_person(viewer, viewer.person_id or 0, viewer.province_code)


def may_filter(viewer: Viewer | None, argument: str) -> bool:
    field, clear = FILTERS[argument]
    decision = decide(field, relation_to_list(viewer))
    return decision is Decision.ALLOW or (decision is Decision.MASK and not clear)


def sorts_by_code(viewer: Viewer | None) -> bool:
    """Whether a person list may be ordered by the social-insurance code: only where the code is
    read in the clear (a masked code's order would reveal what the mask hides)."""
    return decide("Person.socialInsuranceCode", relation_to_list(viewer)) is Decision.ALLOW
