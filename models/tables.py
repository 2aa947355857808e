"""Core `Table` objects of the models, for the hot read paths (Core rows, not ORM hydration)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

from models.access_log import AccessLogEntry
from models.account import Account, AuthSession, TotpCredential
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
from models.revision import Revision
from models.security import Captcha, DeviceChallenge, LoginAttempt, RateEvent
from models.unit import Unit, UnitMember
from models.visit import MedicalVisit, VisitRollup


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


access_log_t = _table(AccessLogEntry)
away_t = _table(ContributionAway)
audit_t = _table(AuditEntry)
captcha_t = _table(Captcha)
challenge_t = _table(DeviceChallenge)
login_attempt_t = _table(LoginAttempt)
outbox_t = _table(OutboxMessage)
rate_event_t = _table(RateEvent)
account_t = _table(Account)
auth_session_t = _table(AuthSession)
totp_t = _table(TotpCredential)
admin_unit_t = _table(AdministrativeUnit)
benefit_t = _table(Benefit)
card_t = _table(HealthInsuranceCard)
catalogue_t = _table(CatalogueItem)
claim_t = _table(Claim)
claim_line_t = _table(ClaimLine)
agent_t = _table(CollectionAgent)
event_t = _table(Event)
facility_t = _table(HealthFacility)
faq_t = _table(Faq)
feedback_t = _table(Feedback)
news_t = _table(NewsArticle)
office_t = _table(Office)
period_t = _table(ContributionPeriod)
person_t = _table(Person)
persisted_t = _table(PersistedQuery)
registration_t = _table(Registration)
return_t = _table(ContributionReturn)
revision_t = _table(Revision)
rollup_t = _table(ContributionRollup)
unit_t = _table(Unit)
unit_member_t = _table(UnitMember)
visit_t = _table(MedicalVisit)
household_t = _table(Household)
household_member_t = _table(HouseholdMember)
household_payment_t = _table(HouseholdPayment)
household_payment_line_t = _table(HouseholdPaymentLine)
catchment_t = _table(AgentCatchment)
visit_rollup_t = _table(VisitRollup)
