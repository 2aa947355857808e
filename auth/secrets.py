"""Keyed hashes of short secrets (captcha answers, OTPs): worthless to whoever reads the table."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def keyed_hash(key: str, purpose: str, value: str) -> str:
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, from the settings' secret key: a key leaked or misused for one
    purpose (say, cursors) opens nothing of another."""
    return hmac.new(secret_key.encode(), f"ansinh/{purpose}".encode(), hashlib.sha256).digest()
