"""Secrets handed to clients: visitor tokens, session cookies, API tokens, CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_visitor_id() -> str:
    return "V" + secrets.token_urlsafe(16)  # 128 random bits


def sign_visitor(visitor_id: str, key: bytes) -> str:
    mac = hmac.new(key, b"visitor:" + visitor_id.encode(), hashlib.sha256).digest()
    return f"{visitor_id}.{_b64(mac[:24])}"


def verify_visitor_token(token: object, key: bytes) -> str | None:
    """The visitor id the token was issued for, or None if it is not ours."""
    if not isinstance(token, str) or len(token) > 120 or token.count(".") != 1:
        return None
    visitor_id = token.split(".", 1)[0]
    expected = sign_visitor(visitor_id, key).encode()
    return visitor_id if hmac.compare_digest(expected, token.encode("utf-8", "surrogatepass")) else None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Sessions and API tokens are stored hashed, so a database leak does not leak logins."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
