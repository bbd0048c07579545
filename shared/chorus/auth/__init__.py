"""Authentication and authorisation for every Chorus service.

Registry issues short-lived access tokens (Ed25519-signed JWTs) that carry a `Principal`;
every service checks them with a `TokenVerifier` against registry's published keys and
admits callers by role with `require`.
"""

from chorus.auth.errors import Forbidden, Unauthenticated
from chorus.auth.jwks import KeySet, RemoteKeySet, StaticKeySet, parse_jwks
from chorus.auth.keys import SigningKey, jwk_thumbprint
from chorus.auth.principal import Principal, Role
from chorus.auth.tokens import (
    TokenIssuer,
    TokenVerifier,
    principal_claims,
    principal_from_claims,
)
from chorus.auth.web import (
    Authenticated,
    MaybeAuthenticated,
    authenticate,
    authenticate_if_given,
    install_auth_problem_handlers,
    require,
)

__all__ = [
    "Authenticated",
    "Forbidden",
    "KeySet",
    "MaybeAuthenticated",
    "Principal",
    "RemoteKeySet",
    "Role",
    "SigningKey",
    "StaticKeySet",
    "TokenIssuer",
    "TokenVerifier",
    "Unauthenticated",
    "authenticate",
    "authenticate_if_given",
    "install_auth_problem_handlers",
    "jwk_thumbprint",
    "parse_jwks",
    "principal_claims",
    "principal_from_claims",
    "require",
]
