"""The electronic BHYT card: the holder's signed QR, and its verification by anyone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import ecard as resolve
from resolvers.context import Info

if TYPE_CHECKING:
    from schema.card import Coverage


@strawberry.type(description="A signed e-card payload (Ed25519), verifiable offline with the published keys.")
class CardQr:
    payload: str = strawberry.field(
        description="What the QR code holds: `ANSINH1.<claims>.<signature>` (base64url). The claims are what "
        "the paper card shows, with the time of issue and an expiry 30 days later at most."
    )
    svg: str = strawberry.field(description="The QR code as an SVG image.")
    png_data_uri: str = strawberry.field(description="The QR code as a PNG image, as a `data:` URI.")

    @classmethod
    def of(cls, image: resolve.CardQrImage) -> CardQr:
        return cls(payload=image.payload, svg=image.svg, png_data_uri=image.png_data_uri)


@strawberry.type
class EcardQuery:
    @strawberry.field(
        description="Checks an e-card QR (anyone): genuine, not expired, not revoked by a later change of the "
        "card, and the card valid today. A tampered or expired payload is BAD_USER_INPUT with a `reason`."
    )
    async def verify_card_qr(
        self,
        info: Info,
        payload: Annotated[
            str,
            strawberry.argument(
                description="What the QR code holds, as read: `ANSINH1.<claims>.<signature>` (CardQr.payload)."
            ),
        ],
    ) -> Annotated[Coverage, strawberry.lazy("schema.card")] | None:
        from schema.card import Coverage

        return Coverage.of(await resolve.verify_card_qr(info.context, payload))
