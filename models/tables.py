"""Core `Table` objects of the models, for the hot read paths (Core rows, not ORM hydration)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from models.access_log import AccessLogEntry
from models.account import Account, AuthSession
from models.benefit import Benefit
from models.card import HealthInsuranceCard
from models.content import Faq, Feedback, NewsArticle
from models.contribution import ContributionPeriod
from models.event import Event
from models.geo import AdministrativeUnit, CollectionAgent, HealthFacility, Office
from models.person import Person
from models.registration import Registration
from models.unit import Unit
from models.visit import MedicalVisit

access_log_t = cast(Table, AccessLogEntry.__table__)
account_t = cast(Table, Account.__table__)
auth_session_t = cast(Table, AuthSession.__table__)
admin_unit_t = cast(Table, AdministrativeUnit.__table__)
benefit_t = cast(Table, Benefit.__table__)
card_t = cast(Table, HealthInsuranceCard.__table__)
agent_t = cast(Table, CollectionAgent.__table__)
event_t = cast(Table, Event.__table__)
facility_t = cast(Table, HealthFacility.__table__)
faq_t = cast(Table, Faq.__table__)
feedback_t = cast(Table, Feedback.__table__)
news_t = cast(Table, NewsArticle.__table__)
office_t = cast(Table, Office.__table__)
period_t = cast(Table, ContributionPeriod.__table__)
person_t = cast(Table, Person.__table__)
registration_t = cast(Table, Registration.__table__)
unit_t = cast(Table, Unit.__table__)
visit_t = cast(Table, MedicalVisit.__table__)
