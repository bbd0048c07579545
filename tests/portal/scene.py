"""A small region for the portal's tests: a trust and a Healthwatch (each with an API key
its staff sign in with) and one participant who fits the trust's workshop."""

from dataclasses import dataclass
from typing import Any

from tests.services.feedback.conftest import FeedbackRegion
from tests.services.registry.conftest import token_for

Headers = dict[str, str]
EMAIL = "sam@example.org"


@dataclass
class Organisation:
    organisation_id: str
    api_key: str
    headers: Headers


@dataclass
class Scene:
    region: FeedbackRegion
    trust: Organisation
    healthwatch: Organisation
    participant_id: str

    def code(self) -> str:
        """The last sign-in code the registry sent the participant."""
        return self.region.registry.codes[self.participant_id]


async def organisation(region: FeedbackRegion, name: str, kind: str) -> Organisation:
    admin = await region.registry.admin()
    body: dict[str, Any] = {"network_id": region.network_id, "name": name, "kind": kind}
    if kind == "nhs_trust":
        body["ods_code"] = "RXX"
    made = await region.registry.http.post("/v1/organisations", json=body, headers=admin)
    assert made.status_code == 201, made.text
    org_id = str(made.json()["organisation_id"])
    key = await region.registry.http.post(f"/v1/organisations/{org_id}/api-keys",
                                          json={"label": "portal tests"}, headers=admin)
    assert key.status_code == 201, key.text
    api_key = str(key.json()["api_key"])
    return Organisation(org_id, api_key, await token_for(region.registry.http, api_key))


async def build_scene(region: FeedbackRegion) -> Scene:
    trust = await organisation(region, "Example Valley NHS Foundation Trust", "nhs_trust")
    healthwatch = await organisation(region, "Healthwatch Example", "healthwatch")
    joined = await region.registry.http.post("/v1/participants", json={
        "network_id": region.network_id, "details": {"name": "Sam Example", "email": EMAIL},
        "profile": {"roles": ["carer"], "methods": ["online"], "topics": ["carers"]},
        "consent": {"scope": "network", "contact_channels": ["email"]}})
    assert joined.status_code == 201, joined.text
    scene = Scene(region, trust, healthwatch, str(joined.json()["participant_id"]))
    await region.known(trust.organisation_id, healthwatch.organisation_id)
    return scene
