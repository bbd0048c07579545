"""Sets of public keys that check token signatures: given up front, or fetched from a URL."""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

import jwt

from chorus.problems import ServiceUnavailable

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# Members that only a private or symmetric key has; such a key is never trusted from a set.
SECRET_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class KeySet(Protocol):
    """Where a verifier finds the public key a token names."""

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, or None if there is none."""
        ...


def parse_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The public signing keys of a JWKS document, by kid; keys unfit to verify are skipped."""
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ValueError("a JWKS document needs a list of keys")
    found = {}
    for data in keys:
        if (key := _public_signing_key(data)) is not None and key.key_id:
            found[key.key_id] = key
    return found


def _public_signing_key(data: object) -> jwt.PyJWK | None:
    if (not isinstance(data, dict) or not isinstance(data.get("kid"), str)
            or data.get("use", "sig") != "sig" or SECRET_MEMBERS & data.keys()):
        return None
    try:
        return jwt.PyJWK(data)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None


class StaticKeySet:
    """Keys known when the process starts (the local signing key, or a JWKS document)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = parse_jwks(jwks)
        if not self._keys:
            raise ValueError("the JWKS document holds no usable public signing key")

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, or None."""
        return self._keys.get(kid)


class RemoteKeySet:
    """Keys fetched from a JWKS URL when first needed, then kept.

    They are fetched again when a token names a key not seen yet (a rotation) or when they
    are `max_age` old, but at most once per `min_interval`, so tokens naming made-up keys
    cannot hammer the issuer. If a fetch fails, the keys already known stay in use.
    """

    def __init__(self, url: str, *, client: "httpx.AsyncClient | None" = None,
                 timeout: float = 5.0, min_interval: timedelta = timedelta(seconds=30),
                 max_age: timedelta = timedelta(minutes=10),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._client = client
        self._timeout = timeout
        self._min_interval = min_interval.total_seconds()
        self._max_age = max_age.total_seconds()
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, fetching the set if it may have changed; None if unknown.

        Raises ServiceUnavailable if no key set has been fetched yet and none can be.
        """
        if kid not in self._keys or self._is_old():
            await self._refresh()
        return self._keys.get(kid)

    def _is_old(self) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at >= self._max_age

    async def _refresh(self) -> None:
        async with self._lock:
            if self._attempted_at is None or (
                    self._clock() - self._attempted_at >= self._min_interval):
                self._attempted_at = self._clock()
                await self._fetch()
        if self._fetched_at is None:
            raise ServiceUnavailable("the keys that check access tokens cannot be fetched")

    async def _fetch(self) -> None:
        import httpx  # needed only where tokens are checked against a remote key set

        try:
            self._keys = parse_jwks(await self._get())
            self._fetched_at = self._clock()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("cannot fetch the token keys from %s: %s", self.url, error)

    async def _get(self) -> Mapping[str, Any]:
        import httpx

        if self._client is not None:
            response = await self._client.get(self.url, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self.url)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("the JWKS document is not a JSON object")
        return document
