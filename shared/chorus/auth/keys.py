"""The key that signs access tokens: Ed25519, from a setting or, in development, a key file."""

import base64
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from chorus.errors import SettingsError
from chorus.secretfiles import read_or_create
from chorus.settings import Settings

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
KEY_FILE = "signing-key.pem"


class SigningKey:
    """An Ed25519 private key, known by its `kid`: the RFC 7638 thumbprint of its public half."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.kid = jwk_thumbprint(okp_members(private_key.public_key()))

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    @classmethod
    def generate(cls) -> Self:
        """A new random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, pem: str) -> Self:
        """Read an unencrypted PEM Ed25519 private key; ValueError if it is anything else."""
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """`CHORUS_SIGNING_KEY` if set; in development, else `<data_dir>/signing-key.pem`.

        The key file is made on first use; production refuses to run without the setting.
        """
        if settings.signing_key is not None:
            return cls._from_setting(settings.signing_key.get_secret_value())
        if settings.environment == "production":
            raise SettingsError("CHORUS_SIGNING_KEY is required in production "
                                "(an Ed25519 private key in PEM)")
        return cls._from_file(settings.data_dir / KEY_FILE)

    @classmethod
    def _from_setting(cls, pem: str) -> Self:
        # Environment variables often carry a PEM on one line, with literal "\n"s.
        if "\n" not in pem.strip():
            pem = pem.replace("\\n", "\n")
        try:
            return cls.load(pem)
        except ValueError as error:
            raise SettingsError(f"CHORUS_SIGNING_KEY: {error}") from None

    @classmethod
    def _from_file(cls, path: Path) -> Self:
        pem = read_or_create(path, lambda: cls.generate().private_pem())
        if path.stat().st_mode & 0o077:
            log.warning("%s can be read by other users; it should be mode 0600", path)
        try:
            return cls.load(pem)
        except ValueError as error:
            raise SettingsError(f"CHORUS_DATA_DIR: {path} holds {error}") from None

    def private_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM (for the key file; keep it secret)."""
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK, fit to publish in a JWKS document."""
        return {**okp_members(self._private_key.public_key()),
                "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWT of exactly these claims, naming this key in its header."""
        return jwt.encode(dict(claims), self._private_key, algorithm=ALGORITHM,
                          headers={"kid": self.kid, "typ": "JWT"})


def okp_members(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The members of an Ed25519 public JWK that identify the key (RFC 8037)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def jwk_thumbprint(jwk: Mapping[str, str]) -> str:
    """The RFC 7638 SHA-256 thumbprint of an OKP public JWK, base64url without padding."""
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
