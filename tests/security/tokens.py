"""Tokens that must never be trusted, made the way an attacker would: from a real token's
claims, re-signed, unsigned or tampered with (PyJWT and the kernel's own `SigningKey`, as the
registry makes real ones)."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from chorus.auth import SigningKey


def claims_of(token: str) -> dict[str, Any]:
    """A token's claims, read without checking anything (as anyone holding it can)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(dict(value)).encode())


def expired(real: SigningKey, token: str) -> str:
    """The same claims, signed with the real key, but expired ten minutes ago (well past the
    verifier's leeway)."""
    now = int(time.time())
    return real.sign({**claims_of(token), "iat": now - 1200, "nbf": now - 1200,
                      "exp": now - 600})


def another_key(real: SigningKey, token: str) -> str:
    """The same claims, signed by another Ed25519 key that names itself."""
    return SigningKey.generate().sign(claims_of(token))


def another_key_with_the_real_kid(real: SigningKey, token: str) -> str:
    """The same claims, signed by another Ed25519 key that claims to be the real one."""
    impostor = SigningKey.generate()
    impostor.kid = real.kid
    return impostor.sign(claims_of(token))


def unsigned(real: SigningKey, token: str) -> str:
    """The same claims with `alg: none` and no signature."""
    header = {"alg": "none", "typ": "JWT", "kid": real.kid}
    return f"{_segment(header)}.{_segment(claims_of(token))}."


def hmac_with_the_public_key(real: SigningKey, token: str) -> str:
    """The same claims "signed" HS256 with the published public key as the secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": real.kid}
    signing_input = f"{_segment(header)}.{_segment(claims_of(token))}"
    secret = json.dumps(real.public_jwk(), sort_keys=True).encode()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def tampered(real: SigningKey, token: str) -> str:
    """A real token whose payload was changed to make its holder a network admin of every
    network, keeping the real header and signature."""
    header, _, signature = token.split(".")
    claims = claims_of(token)
    escalated = {name: value for name, value in claims.items()
                 if name not in ("org_id", "network_id", "participant_id")}
    return f"{header}.{_segment({**escalated, 'role': 'network_admin'})}.{signature}"


BAD_TOKENS: dict[str, Callable[[SigningKey, str], str]] = {
    "expired": expired,
    "signed by another key": another_key,
    "another key claiming the real kid": another_key_with_the_real_kid,
    "alg none": unsigned,
    "HS256 keyed with the public key": hmac_with_the_public_key,
    "payload tampered with": tampered,
}
