"""Password hashing: argon2id, with rehash-on-login when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults follow RFC 9106's second recommendation (argon2id, 64 MiB, t=3, p=4).
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss costs what a hit costs.
_DUMMY_HASH = _hasher.hash("not a password of anyone: timing equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when it matches. With no stored hash, spends the same time and says False."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


MIN_LENGTH = 8
MAX_LENGTH = 128
# The most used passwords (public breach corpora) and the Vietnamese favourites: refused outright.
COMMON = frozenset(
    [
        "12345678",
        "123456789",
        "1234567890",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "99999999",
        "12341234",
        "11223344",
        "123123123",
        "87654321",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "qwerty123",
        "qwertyui",
        "qwertyuiop",
        "iloveyou",
        "abc12345",
        "abcd1234",
        "1q2w3e4r",
        "1qaz2wsx",
        "zaq12wsx",
        "aa123456",
        "a1234567",
        "admin123",
        "welcome1",
        "sunshine",
        "baseball",
        "football",
        "princess",
        "dragon123",
        "monkey123",
        "letmein1",
        "trustno1",
        "superman",
        "matkhau",
        "matkhau1",
        "matkhau123",
        "anhyeuem",
        "emyeuanh",
        "yeuemnhieu",
        "vietnam1",
        "vietnam123",
        "hanoi123",
        "saigon123",
        "bhxh1234",
        "bhxh123456",
        "vssid123",
        "baohiem123",
        "123456aa",
        "123456abc",
        "changeme",
    ]
)


def password_problems(new: str, username: str) -> list[tuple[str, str]]:
    """(code, message) for each rule a new password breaks; empty when it is acceptable."""
    problems: list[tuple[str, str]] = []
    if len(new) < MIN_LENGTH:
        problems.append(("TOO_SHORT", f"Use at least {MIN_LENGTH} characters."))
    if len(new) > MAX_LENGTH:
        problems.append(("TOO_LONG", f"Use at most {MAX_LENGTH} characters."))
    folded = new.casefold()
    if username and username.casefold() in folded:
        problems.append(("CONTAINS_USERNAME", "The password must not contain the username."))
    if folded in COMMON or len(set(new)) <= 2:
        problems.append(("TOO_COMMON", "This password is too common; choose one that is hard to guess."))
    return problems
