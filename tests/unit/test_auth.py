"""Access tokens are issued for every role, checked strictly, and enforced on routes."""

import base64
import hashlib
import hmac
import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI

from chorus.auth import (
    Forbidden,
    Principal,
    RemoteKeySet,
    Role,
    SigningKey,
    StaticKeySet,
    TokenIssuer,
    TokenVerifier,
    Unauthenticated,
    install_auth_problem_handlers,
    jwk_thumbprint,
    require,
)
from chorus.errors import SettingsError
from chorus.problems import ServiceUnavailable
from chorus.settings import load_settings

NETWORK, ORG, PERSON = uuid4(), uuid4(), uuid4()
PRINCIPALS = {
    Role.NETWORK_ADMIN: Principal("admin:1", Role.NETWORK_ADMIN, network_id=NETWORK),
    Role.ORG_STAFF: Principal("api-key:1", Role.ORG_STAFF, network_id=NETWORK, org_id=ORG),
    Role.PARTICIPANT: Principal("participant:1", Role.PARTICIPANT, network_id=NETWORK,
                                participant_id=PERSON),
    Role.PARTNER: Principal("partner:1", Role.PARTNER, org_id=ORG),
    Role.SERVICE: Principal("service:notifications", Role.SERVICE, service="notifications"),
}


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def issuer(key: SigningKey) -> TokenIssuer:
    return TokenIssuer(key)


@pytest.fixture
def verifier(issuer: TokenIssuer) -> TokenVerifier:
    return TokenVerifier.from_jwks(issuer.jwks())


def clock(shift: timedelta) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + shift


def claims(**changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base = {"sub": "someone", "role": "org_staff", "org_id": str(ORG), "iat": now, "nbf": now,
            "exp": now + 60, "jti": uuid4().hex, "iss": "chorus", "aud": "chorus"}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], body: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}"


async def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    return caught.value.reason


# Principals


def test_a_principal_must_carry_what_its_role_needs() -> None:
    with pytest.raises(ValueError, match="role org_staff needs org_id"):
        Principal("x", Role.ORG_STAFF)
    with pytest.raises(ValueError, match="role participant cannot carry org_id"):
        Principal("x", Role.PARTICIPANT, participant_id=PERSON, org_id=ORG)
    with pytest.raises(ValueError, match="role service needs service"):
        Principal("x", Role.SERVICE, service="")


def test_principal_helpers_answer_only_for_their_own_role() -> None:
    staff, person = PRINCIPALS[Role.ORG_STAFF], PRINCIPALS[Role.PARTICIPANT]
    assert staff.is_staff_of(ORG) and not staff.is_staff_of(uuid4())
    assert not PRINCIPALS[Role.PARTNER].is_staff_of(ORG)
    assert person.is_participant(PERSON) and not staff.is_participant(PERSON)
    assert PRINCIPALS[Role.NETWORK_ADMIN].is_admin_of(NETWORK)
    assert not PRINCIPALS[Role.NETWORK_ADMIN].is_admin_of(uuid4())
    assert PRINCIPALS[Role.SERVICE].is_service("notifications")
    assert not PRINCIPALS[Role.SERVICE].is_service("feedback")


# Issuing and verifying


@pytest.mark.parametrize("role", list(Role))
async def test_a_token_round_trips_for_every_role(
        role: Role, issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    assert await verifier.verify(issuer.issue(PRINCIPALS[role])) == PRINCIPALS[role]


async def test_a_token_carries_the_standard_claims(issuer: TokenIssuer, key: SigningKey) -> None:
    import jwt

    token = issuer.issue(PRINCIPALS[Role.ORG_STAFF])
    header = jwt.get_unverified_header(token)
    body = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    assert body["exp"] - body["iat"] == 15 * 60 and body["nbf"] == body["iat"]
    assert {body["sub"], body["role"], body["org_id"], body["iss"], body["aud"]} == {
        "api-key:1", "org_staff", str(ORG), "chorus"}
    assert "participant_id" not in body and len(body["jti"]) == 32


async def test_an_expired_token_is_refused(key: SigningKey, verifier: TokenVerifier) -> None:
    old = TokenIssuer(key, clock=clock(-timedelta(hours=1)))
    assert await refused(verifier, old.issue(PRINCIPALS[Role.PARTNER])) == "token expired"


async def test_a_token_from_the_future_is_refused(key: SigningKey,
                                                  verifier: TokenVerifier) -> None:
    early = TokenIssuer(key, clock=clock(timedelta(hours=1)))
    assert await refused(verifier, early.issue(PRINCIPALS[Role.PARTNER])) == "token not yet valid"


async def test_small_clock_skew_is_tolerated(key: SigningKey, verifier: TokenVerifier) -> None:
    skewed = TokenIssuer(key, clock=clock(timedelta(seconds=10)))
    assert await verifier.verify(skewed.issue(PRINCIPALS[Role.PARTNER]))


async def test_a_token_for_another_audience_is_refused(issuer: TokenIssuer,
                                                       verifier: TokenVerifier) -> None:
    token = issuer.issue(PRINCIPALS[Role.PARTNER], audience="elsewhere")
    assert await refused(verifier, token) == "token meant for another audience"


async def test_a_token_from_another_issuer_is_refused(key: SigningKey,
                                                      verifier: TokenVerifier) -> None:
    token = TokenIssuer(key, issuer="mallory").issue(PRINCIPALS[Role.PARTNER])
    assert await refused(verifier, token) == "token from another issuer"


async def test_a_token_signed_by_another_key_under_the_same_kid_is_refused(
        key: SigningKey, verifier: TokenVerifier) -> None:
    forger = SigningKey.generate()
    forger.kid = key.kid
    token = TokenIssuer(forger).issue(PRINCIPALS[Role.NETWORK_ADMIN])
    assert await refused(verifier, token) == "signature does not match"


async def test_a_token_signed_by_an_unknown_key_is_refused(verifier: TokenVerifier) -> None:
    token = TokenIssuer(SigningKey.generate()).issue(PRINCIPALS[Role.NETWORK_ADMIN])
    assert await refused(verifier, token) == "signed by an unknown key"


async def test_an_unsigned_token_is_refused(key: SigningKey, verifier: TokenVerifier) -> None:
    token = unsigned({"alg": "none", "kid": key.kid, "typ": "JWT"}, claims()) + "."
    assert await refused(verifier, token) == "signing algorithm not accepted"


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(
        key: SigningKey, verifier: TokenVerifier) -> None:
    private = serialization.load_pem_private_key(key.private_pem().encode(), password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (public_pem, key.public_jwk()["x"].encode()):
        signing_input = unsigned({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, claims())
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert await refused(verifier, f"{signing_input}.{b64(mac)}") == (
            "signing algorithm not accepted")


def test_a_verifier_cannot_be_told_to_accept_symmetric_or_no_signatures(
        issuer: TokenIssuer) -> None:
    for algorithms in (["HS256"], ["none"], ["EdDSA", "HS512"], []):
        with pytest.raises(ValueError, match="only with"):
            TokenVerifier(StaticKeySet(issuer.jwks()), algorithms=algorithms)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "eyJhbGciOiJFZERTQSJ9.e30."])
async def test_a_garbled_token_is_refused(token: str, verifier: TokenVerifier) -> None:
    assert await refused(verifier, token) in {"malformed token", "token names no signing key"}


@pytest.mark.parametrize(("changes", "reason"), [
    ({"org_id": None}, "role org_staff needs org_id"),
    ({"participant_id": str(PERSON)}, "role org_staff cannot carry participant_id"),
    ({"role": "participant"}, "role participant needs participant_id"),
    ({"role": "service", "org_id": None}, "role service needs service"),
    ({"role": "superuser"}, "token has an unknown role"),
    ({"role": ["org_staff"]}, "token has an unknown role"),
    ({"org_id": "not-a-uuid"}, "token has a malformed org_id claim"),
    ({"org_id": 7}, "token has a malformed org_id claim"),
    ({"sub": ""}, "a principal needs a subject"),
    ({"jti": None}, "token has no jti claim"),
    ({"role": None}, "token has no role claim"),
    ({"exp": None}, "token has no exp claim"),
])
async def test_claims_that_do_not_fit_the_role_are_refused(
        changes: dict[str, Any], reason: str, key: SigningKey, verifier: TokenVerifier) -> None:
    assert await refused(verifier, key.sign(claims(**changes))) == reason


# Keys


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037, appendix A.1 to A.3.
    d = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(d))
    assert key.public_jwk()["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert key.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert jwk_thumbprint(key.public_jwk()) == key.kid


def test_a_key_survives_pem_and_refuses_other_keys(key: SigningKey) -> None:
    assert SigningKey.load(key.private_pem()).kid == key.kid
    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        SigningKey.load("hello")
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(ValueError, match="not an Ed25519 private key"):
        SigningKey.load(other)
    assert key.kid in repr(key) and "PRIVATE" not in repr(key)


def test_development_makes_a_private_key_file_once_and_reuses_it(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    first = SigningKey.from_settings(settings)
    path = tmp_path / "data" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.from_settings(settings).kid == first.kid
    assert [p.name for p in path.parent.iterdir()] == ["signing-key.pem"]


def test_services_starting_together_share_one_key_file(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = load_settings(data_dir=tmp_path)
    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: SigningKey.from_settings(settings).kid, range(16)))
    assert len(kids) == 1


def test_a_corrupt_key_file_is_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / "signing-key.pem").write_text("not a key")
    with pytest.raises(SettingsError, match=r"^CHORUS_DATA_DIR: .*signing-key.pem"):
        SigningKey.from_settings(load_settings(data_dir=tmp_path))


def test_the_signing_key_setting_wins_and_may_be_on_one_line(
        key: SigningKey, tmp_path: Path) -> None:
    for pem in (key.private_pem(), key.private_pem().replace("\n", "\\n")):
        settings = load_settings(data_dir=tmp_path, signing_key=pem)
        assert SigningKey.from_settings(settings).kid == key.kid
    assert not (tmp_path / "signing-key.pem").exists()
    with pytest.raises(SettingsError, match=r"^CHORUS_SIGNING_KEY: not an unencrypted PEM"):
        SigningKey.from_settings(load_settings(signing_key="oops"))


def production(**overrides: object) -> Any:
    return load_settings(environment="production", transport="kafka", kafka_bootstrap="k:9092",
                         database_url="postgresql://db/chorus_{service}", **overrides)


def test_production_without_a_signing_key_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CHORUS_SIGNING_KEY is required in production"):
        SigningKey.from_settings(production(data_dir=tmp_path))
    with pytest.raises(SettingsError, match="production needs CHORUS_JWKS_URL"):
        TokenVerifier.from_settings(production(data_dir=tmp_path))
    assert not (tmp_path / "signing-key.pem").exists()


async def test_a_development_verifier_trusts_the_local_signing_key(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    token = TokenIssuer(SigningKey.from_settings(settings)).issue(PRINCIPALS[Role.PARTNER])
    assert await TokenVerifier.from_settings(settings).verify(token) == PRINCIPALS[Role.PARTNER]


# Published keys


async def test_the_jwks_document_round_trips_and_holds_no_private_part(
        issuer: TokenIssuer) -> None:
    document = json.loads(json.dumps(issuer.jwks()))
    (published,) = document["keys"]
    assert set(published) == {"kty", "crv", "x", "kid", "alg", "use"}
    token = issuer.issue(PRINCIPALS[Role.PARTICIPANT])
    verified = await TokenVerifier.from_jwks(document).verify(token)
    assert verified == PRINCIPALS[Role.PARTICIPANT]


async def test_after_a_rotation_tokens_of_the_previous_key_still_verify(key: SigningKey) -> None:
    old_token = TokenIssuer(key).issue(PRINCIPALS[Role.PARTNER])
    rotated = TokenIssuer(SigningKey.generate(), previous_keys=[key.public_jwk()])
    verifier = TokenVerifier.from_jwks(rotated.jwks())
    assert [k["kid"] for k in rotated.jwks()["keys"]][1] == key.kid
    assert await verifier.verify(old_token) == PRINCIPALS[Role.PARTNER]
    assert await verifier.verify(rotated.issue(PRINCIPALS[Role.PARTNER]))


def test_a_private_key_is_never_published(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="not a public key"):
        TokenIssuer(SigningKey.generate(), previous_keys=[{**key.public_jwk(), "d": "secret"}])


def test_a_key_set_without_usable_keys_is_refused(key: SigningKey) -> None:
    hmac_key = {"kty": "oct", "kid": "h", "k": "c2VjcmV0"}
    encryption_key = {**key.public_jwk(), "use": "enc"}
    for keys in ([], [hmac_key], [encryption_key]):
        with pytest.raises(ValueError, match="no usable public signing key"):
            TokenVerifier.from_jwks({"keys": keys})


class FakeIssuerSite:
    """A JWKS endpoint that counts its fetches, over httpx's mock transport."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer
        self.fetches = 0
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, json=self.issuer.jwks())

    def verifier(self, now: list[float]) -> TokenVerifier:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        keys = RemoteKeySet("https://registry/.well-known/jwks.json", client=client,
                            clock=lambda: now[0])
        return TokenVerifier(keys)


async def test_remote_keys_are_fetched_lazily_and_cached(issuer: TokenIssuer) -> None:
    site, now = FakeIssuerSite(issuer), [0.0]
    verifier = site.verifier(now)
    assert site.fetches == 0
    for role in Role:
        assert await verifier.verify(issuer.issue(PRINCIPALS[role])) == PRINCIPALS[role]
    assert site.fetches == 1
    now[0] += 601
    await verifier.verify(issuer.issue(PRINCIPALS[Role.PARTNER]))
    assert site.fetches == 2


async def test_remote_keys_are_refetched_for_a_new_kid_at_a_limited_rate(
        issuer: TokenIssuer) -> None:
    site, now = FakeIssuerSite(issuer), [0.0]
    verifier = site.verifier(now)
    await verifier.verify(issuer.issue(PRINCIPALS[Role.PARTNER]))
    stranger = TokenIssuer(SigningKey.generate()).issue(PRINCIPALS[Role.PARTNER])
    assert await refused(verifier, stranger) == "signed by an unknown key"
    assert site.fetches == 1
    now[0] += 31
    for _ in range(5):
        assert await refused(verifier, stranger) == "signed by an unknown key"
    assert site.fetches == 2
    now[0] += 31
    site.issuer = TokenIssuer(SigningKey.generate(),
                              previous_keys=[issuer.signing_key.public_jwk()])
    assert await verifier.verify(site.issuer.issue(PRINCIPALS[Role.PARTNER]))
    assert await verifier.verify(issuer.issue(PRINCIPALS[Role.PARTNER]))
    assert site.fetches == 3


async def test_concurrent_requests_share_one_fetch(issuer: TokenIssuer) -> None:
    import asyncio

    site = FakeIssuerSite(issuer)
    verifier, token = site.verifier([0.0]), issuer.issue(PRINCIPALS[Role.PARTNER])
    await asyncio.gather(*(verifier.verify(token) for _ in range(10)))
    assert site.fetches == 1


async def test_unreachable_remote_keys_are_a_service_outage_not_a_bad_token(
        issuer: TokenIssuer) -> None:
    site, now = FakeIssuerSite(issuer), [0.0]
    site.down = True
    verifier = site.verifier(now)
    token = issuer.issue(PRINCIPALS[Role.PARTNER])
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            await verifier.verify(token)
    assert site.fetches == 1
    site.down, now[0] = False, 31
    assert await verifier.verify(token) == PRINCIPALS[Role.PARTNER]
    site.down, now[0] = True, 1000
    assert await verifier.verify(token) == PRINCIPALS[Role.PARTNER]


# On a route


def staff_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = verifier
    install_auth_problem_handlers(app)

    @app.get("/organisations/{org_id}/notes")
    async def notes(org_id: UUID, caller: Annotated[Principal, Depends(require(Role.ORG_STAFF))],
                    ) -> dict[str, str]:
        if not caller.is_staff_of(org_id):
            raise Forbidden("staff see only their own organisation's notes")
        return {"subject": caller.subject}

    return app


async def get(app: FastAPI, path: str, token: str | None = None,
              scheme: str = "Bearer") -> httpx.Response:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        return await client.get(path, headers=headers)


async def test_a_route_refuses_a_request_without_a_token(verifier: TokenVerifier) -> None:
    for response in (await get(staff_app(verifier), f"/organisations/{ORG}/notes"),
                     await get(staff_app(verifier), f"/organisations/{ORG}/notes", "x", "Basic")):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"type": "about:blank", "title": "Not authenticated",
                                   "status": 401, "detail": "no bearer token"}


@pytest.mark.parametrize("token", ["garbage", "Bearer", ""])
async def test_a_route_refuses_a_garbled_token(token: str, verifier: TokenVerifier) -> None:
    response = await get(staff_app(verifier), f"/organisations/{ORG}/notes", token)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_route_says_why_a_token_was_refused(key: SigningKey,
                                                    verifier: TokenVerifier) -> None:
    old = TokenIssuer(key, clock=clock(-timedelta(hours=1))).issue(PRINCIPALS[Role.ORG_STAFF])
    response = await get(staff_app(verifier), f"/organisations/{ORG}/notes", old)
    assert response.status_code == 401
    assert response.json()["detail"] == "token expired"
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="token expired"')


async def test_a_route_forbids_the_wrong_role(issuer: TokenIssuer,
                                              verifier: TokenVerifier) -> None:
    token = issuer.issue(PRINCIPALS[Role.PARTICIPANT])
    response = await get(staff_app(verifier), f"/organisations/{ORG}/notes", token)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "this needs the org_staff role"


async def test_a_route_admits_the_right_role(issuer: TokenIssuer,
                                             verifier: TokenVerifier) -> None:
    token = issuer.issue(PRINCIPALS[Role.ORG_STAFF])
    response = await get(staff_app(verifier), f"/organisations/{ORG}/notes", token)
    assert response.status_code == 200
    assert response.json() == {"subject": "api-key:1"}
    other = await get(staff_app(verifier), f"/organisations/{uuid4()}/notes", token)
    assert other.status_code == 403


def test_the_openapi_document_declares_the_bearer_scheme(verifier: TokenVerifier) -> None:
    document = staff_app(verifier).openapi()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/organisations/{org_id}/notes"]["get"]["security"] == [
        {"HTTPBearer": []}]


def test_require_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require()
