"""Access tokens: short-lived signed JWTs that say which principal a request speaks for."""

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID, uuid4

import jwt

from chorus.auth.errors import Unauthenticated
from chorus.auth.jwks import SECRET_MEMBERS, KeySet, RemoteKeySet, StaticKeySet
from chorus.auth.keys import ALGORITHM, SigningKey
from chorus.auth.principal import IDENTITY_CLAIMS, Principal, Role
from chorus.errors import SettingsError
from chorus.settings import Settings

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

ISSUER = "chorus"
AUDIENCE = "chorus"
REQUIRED_CLAIMS = ("sub", "role", "iat", "nbf", "exp", "jti", "iss", "aud")
# Never `none` and never HMAC: an HS256 token "signed" with a public key must not pass.
ASYMMETRIC_ALGORITHMS = frozenset({"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384",
                                   "RS512", "PS256", "PS384", "PS512"})


def _now() -> datetime:
    return datetime.now(UTC)


class TokenIssuer:
    """Signs access tokens, and publishes the public keys that check them.

    `previous_keys` are public JWKs of keys retired by a rotation, published beside the
    current one until the tokens they signed have expired.
    """

    def __init__(self, signing_key: SigningKey, *, issuer: str = ISSUER,
                 ttl: timedelta = timedelta(minutes=15),
                 previous_keys: Iterable[Mapping[str, Any]] = (),
                 clock: Callable[[], datetime] = _now) -> None:
        self.signing_key = signing_key
        self.issuer = issuer
        self.ttl = ttl
        self._previous = [_public_only(key) for key in previous_keys
                          if key.get("kid") != signing_key.kid]
        self._clock = clock

    def issue(self, principal: Principal, audience: str = AUDIENCE) -> str:
        """A token for this principal, valid from now for the issuer's `ttl`."""
        now = int(self._clock().timestamp())
        return self.signing_key.sign({
            **principal_claims(principal), "iat": now, "nbf": now,
            "exp": now + int(self.ttl.total_seconds()), "jti": uuid4().hex,
            "iss": self.issuer, "aud": audience})

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JWKS document (public keys only): the current key first, then retired ones."""
        return {"keys": [self.signing_key.public_jwk(), *self._previous]}


def _public_only(jwk: Mapping[str, Any]) -> dict[str, Any]:
    if SECRET_MEMBERS & jwk.keys():
        raise ValueError(f"key {jwk.get('kid')!r} is not a public key; it must not be published")
    return dict(jwk)


class TokenVerifier:
    """Checks access tokens: signature, algorithm, issuer, audience, times and claims."""

    def __init__(self, keys: KeySet, *, issuer: str = ISSUER, audience: str = AUDIENCE,
                 leeway: timedelta = timedelta(seconds=30),
                 algorithms: Iterable[str] = (ALGORITHM,)) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.algorithms = frozenset(algorithms)
        if not self.algorithms or not self.algorithms <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"tokens are checked only with {sorted(ASYMMETRIC_ALGORITHMS)}")

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any], *, issuer: str = ISSUER,
                  audience: str = AUDIENCE) -> Self:
        """A verifier trusting the public keys of this JWKS document."""
        return cls(StaticKeySet(jwks), issuer=issuer, audience=audience)

    @classmethod
    def from_url(cls, url: str, *, issuer: str = ISSUER, audience: str = AUDIENCE,
                 client: "httpx.AsyncClient | None" = None) -> Self:
        """A verifier trusting the keys published at this JWKS URL, fetched when needed."""
        return cls(RemoteKeySet(url, client=client), issuer=issuer, audience=audience)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Trust `CHORUS_JWKS_URL` if set, else the public half of the signing key."""
        if settings.jwks_url:
            return cls.from_url(settings.jwks_url)
        if settings.environment == "production" and settings.signing_key is None:
            raise SettingsError("production needs CHORUS_JWKS_URL (or CHORUS_SIGNING_KEY) "
                                "to check access tokens")
        return cls.from_jwks({"keys": [SigningKey.from_settings(settings).public_jwk()]})

    async def verify(self, token: str) -> Principal:
        """The principal this token speaks for; Unauthenticated says why not."""
        key = await self._key_for(_header(token))
        claims = self._decode(token, key)
        try:
            return principal_from_claims(claims)
        except ValueError as error:
            raise Unauthenticated(str(error)) from None

    async def _key_for(self, header: Mapping[str, Any]) -> jwt.PyJWK:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise Unauthenticated("signing algorithm not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthenticated("token names no signing key")
        key = await self.keys.key_for(kid)
        if key is None:
            raise Unauthenticated("signed by an unknown key")
        return key

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=sorted(self.algorithms), audience=self.audience,
                issuer=self.issuer, leeway=self.leeway, options={"require": [*REQUIRED_CLAIMS]})
        except jwt.InvalidTokenError as error:
            log.debug("token refused: %r", error)
            raise Unauthenticated(_reason(error)) from None
        return claims


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthenticated("malformed token") from None


_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "token meant for another audience"),
    (jwt.InvalidIssuerError, "token from another issuer"),
    (jwt.InvalidSignatureError, "signature does not match"),
    (jwt.InvalidAlgorithmError, "algorithm does not match the key"),
    (jwt.DecodeError, "malformed token"),
)


def _reason(error: jwt.InvalidTokenError) -> str:
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"token has no {error.claim} claim"
    return next((reason for kind, reason in _REASONS if isinstance(error, kind)),
                "invalid token")


def principal_claims(principal: Principal) -> dict[str, str]:
    """The claims that carry a principal in a token; absent identities are left out."""
    claims = {"sub": principal.subject, "role": str(principal.role)}
    for name in IDENTITY_CLAIMS:
        if (value := getattr(principal, name)) is not None:
            claims[name] = str(value)
    return claims


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The principal that verified claims speak for; ValueError says which claim is wrong."""
    role = _role(claims)
    service = claims.get("service")
    if service is not None and not isinstance(service, str):
        raise ValueError("token has a malformed service claim")
    return Principal(subject=claims["sub"], role=role, network_id=_uuid(claims, "network_id"),
                     org_id=_uuid(claims, "org_id"),
                     participant_id=_uuid(claims, "participant_id"), service=service)


def _role(claims: Mapping[str, Any]) -> Role:
    value = claims.get("role")
    if not isinstance(value, str) or value not in {role.value for role in Role}:
        raise ValueError("token has an unknown role")
    return Role(value)


def _uuid(claims: Mapping[str, Any], name: str) -> UUID | None:
    value = claims.get(name)
    if value is None:
        return None
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"token has a malformed {name} claim") from None
