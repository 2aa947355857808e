"""Tables. Importing this package registers every table on `SQLModel.metadata`."""

from sqlmodel import SQLModel

from models.access_log import AccessLogEntry
from models.account import Account, AuthSession
from models.audit import AuditEntry
from models.benefit import Benefit
from models.card import HealthInsuranceCard
from models.claim import CatalogueItem, Claim, ClaimLine
from models.content import Faq, Feedback, NewsArticle
from models.contribution import ContributionAway, ContributionPeriod, ContributionReturn, ContributionRollup
from models.event import Event
from models.geo import AdministrativeUnit, CollectionAgent, HealthFacility, Office
from models.household import (
    AgentCatchment,
    Household,
    HouseholdMember,
    HouseholdPayment,
    HouseholdPaymentLine,
)
from models.outbox import OutboxMessage
from models.persisted import PersistedQuery
from models.person import Person
from models.registration import Registration
from models.security import Captcha, DeviceChallenge, LoginAttempt, RateEvent
from models.unit import Unit, UnitMember
from models.visit import MedicalVisit

metadata = SQLModel.metadata

__all__ = [
    "AccessLogEntry",
    "Account",
    "AdministrativeUnit",
    "AgentCatchment",
    "AuditEntry",
    "AuthSession",
    "Benefit",
    "Captcha",
    "CatalogueItem",
    "Claim",
    "ClaimLine",
    "CollectionAgent",
    "ContributionAway",
    "ContributionPeriod",
    "ContributionReturn",
    "ContributionRollup",
    "DeviceChallenge",
    "Event",
    "Faq",
    "Feedback",
    "HealthFacility",
    "HealthInsuranceCard",
    "Household",
    "HouseholdMember",
    "HouseholdPayment",
    "HouseholdPaymentLine",
    "LoginAttempt",
    "MedicalVisit",
    "NewsArticle",
    "Office",
    "OutboxMessage",
    "PersistedQuery",
    "Person",
    "RateEvent",
    "Registration",
    "Unit",
    "UnitMember",
    "metadata",
]
