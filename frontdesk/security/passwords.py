"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's guidance)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown e-mail as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("frontdesk-timing-equaliser")

MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: must be at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
