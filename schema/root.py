"""The root types, composed of the per-domain classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from resolvers import node as resolve
from resolvers.context import Context, Info
from schema.account import AccountMutation, AccountQuery
from schema.benefit import Benefit, BenefitMutation
from schema.card import CardMutation, CardQuery, HealthInsuranceCard
from schema.claim import Claim, ClaimMutation, ClaimQuery
from schema.content import ContentMutation, ContentQuery, Faq, NewsArticle
from schema.contribution import ContributionMutation, ContributionPeriod
from schema.ecard import EcardQuery
from schema.geo import CollectionAgent, HealthFacility, Office, PlaceQuery
from schema.household import Household, HouseholdMutation, HouseholdQuery
from schema.node import Node, parse_global_id
from schema.password import PasswordMutation
from schema.person import LookupQuery, Person, PersonQuery
from schema.registration import Registration, RegistrationMutation, RegistrationQuery
from schema.revision import RevisionMutation
from schema.statistics import StatisticsQuery
from schema.unit import Unit, UnitMutation, UnitQuery
from schema.visit import MedicalVisit, VisitMutation

WRAPPERS: dict[str, Callable[[Context, Any], Node]] = {
    "Person": Person.wrap,
    "Unit": Unit.wrap,
    "ContributionPeriod": lambda c, r: ContributionPeriod.wrapper(c)(r),
    "HealthInsuranceCard": HealthInsuranceCard.wrap,
    "MedicalVisit": lambda c, r: MedicalVisit.wrapper(c)(r),
    "Benefit": lambda c, r: Benefit.wrapper(c)(r),
    "Claim": lambda c, r: Claim.wrapper(c)(r),
    "Registration": Registration.wrap,
    "Office": lambda c, r: Office.from_row(r),
    "HealthFacility": lambda c, r: HealthFacility.from_row(r),
    "CollectionAgent": lambda c, r: CollectionAgent.from_row(r),
    "Faq": lambda c, r: Faq.from_row(r),
    "NewsArticle": lambda c, r: NewsArticle.from_row(r),
    "Household": lambda c, r: Household.from_row(r),
}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global id; null when absent or outside the viewer's scope."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="A global id (Relay), as in the `id` field of any object."),
        ],
    ) -> Node | None:
        type_name, pk = parse_global_id(id)
        wrap = WRAPPERS.get(type_name)
        if wrap is None:
            return None
        row = await resolve.node_row(info.context, type_name, pk)
        return wrap(info.context, row) if row is not None else None


@strawberry.type(
    description="Reading: the records of the insured (in the viewer's scope), the open features, the aggregates."
)
class Query(
    NodeQuery,
    AccountQuery,
    PersonQuery,
    UnitQuery,
    CardQuery,
    EcardQuery,
    RegistrationQuery,
    PlaceQuery,
    ContentQuery,
    LookupQuery,
    StatisticsQuery,
    HouseholdQuery,
    ClaimQuery,
):
    pass


@strawberry.type(
    description="Changes. Each answers a result union: its success, or typed errors (InvalidInput, NotAllowed ...)."
)
class Mutation(
    AccountMutation,
    ContentMutation,
    RegistrationMutation,
    UnitMutation,
    ContributionMutation,
    CardMutation,
    VisitMutation,
    ClaimMutation,
    BenefitMutation,
    RevisionMutation,
    PasswordMutation,
    HouseholdMutation,
):
    pass
