"""The e-card's signature: Ed25519 keys, a compact signed payload, and its offline verification.

A counter verifies an e-card without calling the platform: it keeps the published public keys
(`GET /.well-known/ansinh-card-keys`) and the revocation list
(`GET /.well-known/ansinh-card-revocations`), both cacheable.

Keys are derived from the secret key per key id, so every worker and host signs alike and no key
file has to be distributed. `ANSINH_CARD_KEY_IDS` lists the ids in use, the last one signing: to
rotate, append an id; cards signed under the earlier ids keep verifying while their id is listed.

The payload is `ANSINH1.<base64url(JSON)>.<base64url(signature)>`, the signature over
`ANSINH1.<base64url(JSON)>`. The JSON holds what the paper card shows (number, name, date of
birth, benefit level, validity, primary-care facility) and `iat`/`exp` (Unix seconds).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from auth.secrets import derive_key

PREFIX = "ANSINH1"
# How long one QR stays valid: the app fetches a fresh one before then; a screenshot ages out.
QR_LIFETIME_SECONDS = 30 * 24 * 3600
MAX_PAYLOAD = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class CardClaims:
    """What an e-card says about its card."""

    number: str
    full_name: str
    date_of_birth: date | None
    benefit_level: int
    valid_from: date
    valid_to: date | None
    primary_care_facility: str | None
    issued_at: int
    expires_at: int
    key_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "v": 1,
            "kid": self.key_id,
            "n": self.number,
            "name": self.full_name,
            "dob": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "lvl": self.benefit_level,
            "from": self.valid_from.isoformat(),
            "to": self.valid_to.isoformat() if self.valid_to else None,
            "fac": self.primary_care_facility,
            "iat": self.issued_at,
            "exp": self.expires_at,
        }


class QrRefused(ValueError):
    """Why a payload is not a genuine, current e-card: `code` names it for clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CardKeys:
    """The key ring: every listed id verifies, the last one signs."""

    def __init__(self, secret_key: str, key_ids: tuple[str, ...]) -> None:
        if not key_ids:
            raise ValueError("at least one card key id is needed")
        self._private = {
            kid: Ed25519PrivateKey.from_private_bytes(derive_key(secret_key, f"card-signing/{kid}"))
            for kid in key_ids
        }
        self.current = key_ids[-1]

    def public_keys(self) -> list[dict[str, Any]]:
        """What `/.well-known/ansinh-card-keys` publishes."""
        return [
            {
                "kid": kid,
                "alg": "Ed25519",
                "publicKey": _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
                "current": kid == self.current,
            }
            for kid, key in self._private.items()
        ]

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        key = self._private.get(kid)
        return key.public_key() if key is not None else None

    def sign(self, claims: CardClaims) -> str:
        body = json.dumps(claims.as_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        signed = f"{PREFIX}.{_b64(body.encode())}"
        return f"{signed}.{_b64(self._private[claims.key_id].sign(signed.encode()))}"

    def verify(self, payload: str, now: datetime) -> CardClaims:
        """The claims of a genuine payload that has not expired; QrRefused otherwise."""
        return verify(payload, self.public_key, now)


def verify(payload: str, key_of: Any, now: datetime) -> CardClaims:
    """Verification as a counter does it offline: `key_of(kid)` gives a published public key."""
    if len(payload) > MAX_PAYLOAD or payload.count(".") != 2 or not payload.startswith(PREFIX + "."):
        raise QrRefused(
            "QR_MALFORMED", "This is not an ansinh e-card payload (ANSINH1.<claims>.<signature>)."
        )
    prefix_and_body, _, signature = payload.rpartition(".")
    try:
        body = json.loads(_unb64(prefix_and_body.split(".", 1)[1]))
        raw_signature = _unb64(signature)
    except (ValueError, binascii.Error):
        raise QrRefused("QR_MALFORMED", "The e-card payload is damaged: it does not decode.") from None
    if not isinstance(body, dict) or body.get("v") != 1 or not isinstance(body.get("kid"), str):
        raise QrRefused("QR_MALFORMED", "The e-card payload is of an unknown version.")
    key = key_of(body["kid"])
    if key is None:
        raise QrRefused(
            "QR_UNKNOWN_KEY", f"The e-card was signed with key {body['kid']!r}, which is not published."
        )
    try:
        key.verify(raw_signature, prefix_and_body.encode())
    except InvalidSignature:
        raise QrRefused(
            "QR_SIGNATURE_INVALID",
            "The signature does not match: the e-card was altered or not issued by BHXH.",
        ) from None
    try:
        claims = CardClaims(
            number=str(body["n"]),
            full_name=str(body["name"]),
            date_of_birth=date.fromisoformat(body["dob"]) if body.get("dob") else None,
            benefit_level=int(body["lvl"]),
            valid_from=date.fromisoformat(body["from"]),
            valid_to=date.fromisoformat(body["to"]) if body.get("to") else None,
            primary_care_facility=body.get("fac"),
            issued_at=int(body["iat"]),
            expires_at=int(body["exp"]),
            key_id=body["kid"],
        )
    except (KeyError, TypeError, ValueError):
        raise QrRefused("QR_MALFORMED", "The e-card payload lacks a field it must have.") from None
    if now.timestamp() > claims.expires_at:
        raise QrRefused("QR_EXPIRED", "This e-card QR has expired: open the app for a fresh one.")
    return claims
