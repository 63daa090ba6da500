"""Password hashing (argon2), access tokens (JWT) and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import jwt
from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()
ALGORITHM = "HS256"
API_KEY_PREFIX = "bsk_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


@cache
def _dummy_hash() -> str:
    return hash_password("timing-equaliser")


def burn_verify_time(password: str) -> None:
    """Spend the time of a real verification (unknown e-mail: no timing oracle)."""
    _hasher.verify(password, _dummy_hash())


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    token_version: int


def issue_token(
    *, user_id: uuid.UUID, token_version: int, secret: str, now: datetime, minutes: int
) -> str:
    claims = {
        "sub": str(user_id),
        "ver": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, *, secret: str) -> TokenClaims | None:
    """The claims of a valid, unexpired access token, or None."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "ver"]},
        )
        if claims.get("typ") != "access":
            return None
        return TokenClaims(uuid.UUID(str(claims["sub"])), int(claims["ver"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class NewApiKey:
    prefix: str
    secret: str  # the whole key, shown once
    key_hash: str


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(prefix=prefix, secret=secret, key_hash=sha256(secret))


def sha256(secret: str) -> str:
    """How API keys and session tokens are stored (random 256-bit secrets: a plain
    hash suffices, no password hashing needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def split_api_key(secret: str) -> str | None:
    """The lookup prefix of a well-formed API key, or None."""
    if not secret.startswith(API_KEY_PREFIX):
        return None
    body = secret[len(API_KEY_PREFIX) :]
    prefix, sep, _ = body.partition("_")
    return prefix if sep and len(prefix) == 12 else None


def api_key_matches(secret: str, key_hash: str) -> bool:
    return hmac.compare_digest(sha256(secret), key_hash)
