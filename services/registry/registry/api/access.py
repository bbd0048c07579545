"""Access routes: organisation API keys, tokens, participant sign-in, and the JWKS."""

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from registry.api.deps import AccessDep, Caller
from registry.fields import Email

router = APIRouter(tags=["access"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApiKeyCreate(Strict):
    label: str = Field(min_length=1, max_length=100, examples=["patient experience team"])


class ApiKeyCreated(BaseModel):
    key_id: UUID
    organisation_id: UUID
    label: str
    api_key: str = Field(description="Shown once: store it now; only a hash is kept.")
    created_at: datetime


class ApiKeyPublic(BaseModel):
    key_id: UUID
    label: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class KeyExchange(Strict):
    api_key: str = Field(min_length=10, max_length=200)


class CodeRequest(Strict):
    email: Email


class CodeExchange(Strict):
    email: Email
    code: str = Field(pattern=r"^[0-9]{6}$")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


@router.post("/v1/organisations/{organisation_id}/api-keys", status_code=201,
             response_model=ApiKeyCreated)
async def create_api_key(organisation_id: UUID, body: ApiKeyCreate, access: AccessDep,
                         caller: Caller) -> ApiKeyCreated:
    """Create an API key for an organisation's staff or systems. The key is shown once."""
    key = await access.create_api_key(organisation_id, body.label, caller)
    return ApiKeyCreated(key_id=key.key_id, organisation_id=key.organisation_id,
                         label=key.label, api_key=key.secret, created_at=key.created_at)


@router.get("/v1/organisations/{organisation_id}/api-keys", response_model=list[ApiKeyPublic])
async def list_api_keys(organisation_id: UUID, access: AccessDep,
                        caller: Caller) -> list[ApiKeyPublic]:
    """An organisation's API keys (never the keys themselves)."""
    rows = await access.list_api_keys(organisation_id, caller)
    return [ApiKeyPublic.model_validate(row) for row in rows]


@router.delete("/v1/organisations/{organisation_id}/api-keys/{key_id}", status_code=204)
async def revoke_api_key(organisation_id: UUID, key_id: UUID, access: AccessDep,
                         caller: Caller) -> Response:
    """Revoke a key; tokens already issued for it expire within minutes."""
    await access.revoke_api_key(organisation_id, key_id, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/v1/auth/token", response_model=TokenOut)
async def token(body: KeyExchange, access: AccessDep) -> TokenOut:
    """Exchange an API key for a short-lived bearer token."""
    return _token(access, await access.token_for_key(body.api_key))


@router.post("/v1/auth/renew", response_model=TokenOut)
async def renew(access: AccessDep, caller: Caller) -> TokenOut:
    """A fresh token for the bearer of a valid one (a participant, staff or an admin), while
    they are still entitled to it: how a session stays open while it is used."""
    return _token(access, await access.renew(caller))


@router.post("/v1/auth/participant-code", status_code=202)
async def participant_code(body: CodeRequest, access: AccessDep) -> dict[str, str]:
    """Send a one-time sign-in code to a participant's e-mail address. The answer is the
    same whether or not the address is registered."""
    await access.send_sign_in_code(body.email)
    return {"detail": "If this address is registered, a code is on its way."}


@router.post("/v1/auth/participant-token", response_model=TokenOut)
async def participant_token(body: CodeExchange, access: AccessDep) -> TokenOut:
    """Exchange the e-mailed one-time code for a bearer token."""
    return _token(access, await access.token_for_code(body.email, body.code))


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict[str, Any]:
    """The public keys that verify Chorus tokens."""
    keys: dict[str, Any] = request.app.state.service.issuer.jwks()
    return keys


def _token(access: Any, value: str) -> TokenOut:
    return TokenOut(access_token=value, expires_in=int(access.issuer.ttl.total_seconds()))
