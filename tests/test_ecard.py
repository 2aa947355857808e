"""The e-card: a QR only its holder gets, that a counter verifies offline, and that a change of the
card revokes."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auth.card_keys import CardKeys, QrRefused
from tests.conftest import Api, codes
from tests.test_cache import signed_in
from tests.test_entry import SUSPEND, issued, person_of

GOLDEN = "0113099841"
CARD = "GD4010113099841"  # his current card (golden.md: the household card since 2020-11)
OWN_QR = "{ viewer { person { healthInsuranceCard { number qr { payload svg pngDataUri } } } } }"
VERIFY = "query($p: String!) { verifyCardQr(payload: $p) { valid reason benefitLevel validTo } }"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def own_qr(api: Api, token_or_user: str, *, token: bool = False) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token_or_user if token else await api.token(token_or_user)}"}
    response = await api.client.post("/graphql", json={"query": OWN_QR}, headers=headers)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    card: dict[str, Any] = body["data"]["viewer"]["person"]["healthInsuranceCard"]
    return card


async def test_card_qr_holder_gets_a_payload_a_counter_verifies_offline(api: Api) -> None:
    card = await own_qr(api, GOLDEN)
    qr = card["qr"]
    assert qr["svg"].lstrip().startswith("<svg") and qr["pngDataUri"].startswith("data:image/png;base64,")
    keys = (await api.client.get("/.well-known/ansinh-card-keys")).json()["keys"]
    # Offline, as a counter: the published key and the payload, nothing of the server's code.
    prefix, claims_text, signature = qr["payload"].split(".")
    claims = json.loads(_unb64(claims_text))
    key = next(k for k in keys if k["kid"] == claims["kid"])
    Ed25519PublicKey.from_public_bytes(_unb64(key["publicKey"])).verify(
        _unb64(signature), f"{prefix}.{claims_text}".encode()
    )
    assert prefix == "ANSINH1" and claims["n"] == card["number"] == CARD
    assert claims["name"] == "Nguyễn Thành Biên" and claims["lvl"] == 4
    assert claims["exp"] > claims["iat"] > datetime.now(UTC).timestamp() - 60


@pytest.mark.parametrize("username", ["officer.hanoi", "admin", "partner.hospital", "analyst"])
async def test_card_qr_forbidden_to_all_but_the_holder(api: Api, username: str) -> None:
    body = await api.post(
        f'{{ person(socialInsuranceCode: "{GOLDEN}") {{ healthInsuranceCard {{ qr {{ payload }} }} }} }}',
        as_=username,
    )
    person = body["data"]["person"]
    if person is not None and person["healthInsuranceCard"] is not None:
        assert person["healthInsuranceCard"]["qr"] is None
        assert "FORBIDDEN" in codes(body)


async def test_verify_card_qr_genuine_anonymous_valid(api: Api) -> None:
    payload = (await own_qr(api, GOLDEN))["qr"]["payload"]
    answer = (await api.data(VERIFY, {"p": payload}))["verifyCardQr"]
    assert answer["valid"] is True and answer["benefitLevel"] == 4, answer


def _reasons(body: dict[str, Any]) -> list[str]:
    return [e["extensions"].get("reason") for e in body.get("errors", [])]


async def test_verify_card_qr_tampered_unknown_key_or_expired_refused(api: Api) -> None:
    payload = (await own_qr(api, GOLDEN))["qr"]["payload"]
    prefix, claims_text, signature = payload.split(".")
    claims = json.loads(_unb64(claims_text))
    changed = dict(claims, lvl=1)  # a better level, the signature kept
    forged = ".".join(
        [prefix, base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode(), signature]
    )
    for bad, reason in (
        (forged, "QR_SIGNATURE_INVALID"),
        ("ANSINH1.bm90IGpzb24.AAAA", "QR_MALFORMED"),
        ("a QR of another scheme", "QR_MALFORMED"),
    ):
        body = await api.post(VERIFY, {"p": bad})
        assert codes(body) == ["BAD_USER_INPUT"] and _reasons(body) == [reason], (bad, body)
    runtime = api.app.state.runtime
    stranger = CardKeys("another secret entirely", ("rogue",))
    from auth.card_keys import CardClaims

    base = CardClaims(
        number=CARD,
        full_name=claims["name"],
        date_of_birth=None,
        benefit_level=4,
        valid_from=datetime(2020, 1, 1).date(),
        valid_to=None,
        primary_care_facility=None,
        issued_at=claims["iat"],
        expires_at=claims["exp"],
        key_id="rogue",
    )
    body = await api.post(VERIFY, {"p": stranger.sign(base)})
    assert _reasons(body) == ["QR_UNKNOWN_KEY"], body
    old = int((datetime.now(UTC) - timedelta(days=60)).timestamp())
    expired = dataclasses.replace(
        base, key_id=runtime.card_keys.current, issued_at=old, expires_at=old + 30 * 24 * 3600
    )
    body = await api.post(VERIFY, {"p": runtime.card_keys.sign(expired)})
    assert _reasons(body) == ["QR_EXPIRED"], body


async def test_verify_card_qr_revoked_once_the_card_is_suspended(api: Api) -> None:
    person = await person_of(api)
    card = await issued(api, person, validFrom="2025-01-01", validTo="2035-12-31")
    token = await signed_in(api, person)
    payload = (await own_qr(api, token, token=True))["qr"]["payload"]
    assert (await api.data(VERIFY, {"p": payload}))["verifyCardQr"]["valid"] is True
    suspended = await api.data(
        SUSPEND, {"input": {"cardNumber": card["number"], "reason": "Mất thẻ"}}, as_="officer.hanoi"
    )
    assert suspended["suspendCard"]["__typename"] == "SuspendCardSuccess"
    answer = (await api.data(VERIFY, {"p": payload}))["verifyCardQr"]
    assert answer["valid"] is False and "revoked" in answer["reason"], answer
    revoked = (await api.client.get("/.well-known/ansinh-card-revocations")).json()["revoked"]
    assert card["number"] in {r["number"] for r in revoked}


def test_card_keys_rotation_keeps_earlier_cards_verifiable() -> None:
    from auth.card_keys import CardClaims

    now = datetime.now(UTC)
    claims = CardClaims(
        number=CARD,
        full_name="Nguyễn Thành Biên",
        date_of_birth=None,
        benefit_level=4,
        valid_from=now.date(),
        valid_to=None,
        primary_care_facility=None,
        issued_at=int(now.timestamp()),
        expires_at=int(now.timestamp()) + 3600,
        key_id="k1",
    )
    before = CardKeys("s" * 40, ("k1",))
    signed = before.sign(claims)
    after = CardKeys("s" * 40, ("k1", "k2"))
    assert after.current == "k2" and after.verify(signed, now) == claims
    assert [k["kid"] for k in after.public_keys()] == ["k1", "k2"]
    retired = CardKeys("s" * 40, ("k2",))
    with pytest.raises(QrRefused) as refused:
        retired.verify(signed, now)
    assert refused.value.code == "QR_UNKNOWN_KEY"
