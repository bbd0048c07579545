"""The region the load runs in, set up through the services' HTTP APIs as a region would:
a network, an NHS trust, a Healthwatch and a charity (each with an API key for its staff),
and public consultations run by the Healthwatch.
"""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx

from bench.platform.commands import Command, consultation_body
from bench.platform.stack import Stack

WAIT_SECONDS = 60.0


@dataclass
class Region:
    network_id: str
    api_keys: dict[str, str]  # organisation kind -> its staff's API key
    consultation_ids: list[str] = field(default_factory=list)
    tag: str = field(default_factory=lambda: uuid4().hex[:8])

    async def token(self, stack: Stack, kind: str) -> str:
        """A fresh token for the staff of one organisation (tokens last 15 minutes)."""
        async with httpx.AsyncClient(base_url=stack.platform.url("registry")) as http:
            return await _token(http, self.api_keys[kind])

    def joins(self, stack: Stack) -> Command:
        """Self sign-ups to the network's pool (no token: anyone may join)."""
        return Command("registry: participant joins", stack.port("registry"),
                       ("/v1/participants",), "join",
                       {"network_id": self.network_id, "tag": self.tag})

    async def submissions(self, stack: Stack) -> Command:
        """Paper responses entered by the Healthwatch's staff, spread over its
        consultations (each submission locks its consultation's row)."""
        return Command("feedback: responses submitted", stack.port("feedback"),
                       tuple(f"/v1/consultations/{c}/feedback" for c in self.consultation_ids),
                       "paper_response", token=await self.token(stack, "healthwatch"))

    async def publications(self, stack: Stack) -> Command:
        """Opportunities published by the trust's staff."""
        return Command("opportunities: opportunities published", stack.port("opportunities"),
                       ("/v1/opportunities",), "opportunity",
                       token=await self.token(stack, "nhs_trust"))

    def floor_commands(self, stack: Stack) -> Command:
        """The floor, sent the very bodies of the participant joins."""
        return Command("floor: one INSERT", stack.floor.port, ("/commands",), "join",
                       {"network_id": self.network_id, "tag": self.tag})

    def floor_published(self, stack: Stack) -> Command:
        return Command("floor: one INSERT, then Kafka", stack.floor.port, ("/published",),
                       "join", {"network_id": self.network_id, "tag": self.tag})


async def _token(http: httpx.AsyncClient, api_key: str) -> str:
    response = await http.post("/v1/auth/token", json={"api_key": api_key})
    response.raise_for_status()
    return str(response.json()["access_token"])


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise RuntimeError(f"{response.request.method} {response.request.url}: "
                           f"{response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def set_up(stack: Stack, consultations: int) -> Region:
    """Create the region through the APIs; wait until feedback knows the organisations."""
    async with httpx.AsyncClient(base_url=stack.platform.url("registry"), timeout=30) as http:
        admin = {"Authorization": f"Bearer {await _token(http, stack.platform.admin_api_key)}"}
        network = _created(await http.post("/v1/networks", json={"name": "Bench region"},
                                           headers=admin))
        network_id = str(network["network_id"])
        keys: dict[str, str] = {}
        for name, kind, ods in (("Northshire Hospitals NHS Trust", "nhs_trust", "RXX"),
                                ("Healthwatch Northshire", "healthwatch", None),
                                ("Carers Together", "charity", None)):
            organisation = _created(await http.post("/v1/organisations", headers=admin, json={
                "network_id": network_id, "name": name, "kind": kind,
                **({"ods_code": ods} if ods else {})}))
            key = _created(await http.post(
                f"/v1/organisations/{organisation['organisation_id']}/api-keys",
                json={"label": "bench"}, headers=admin))
            keys[kind] = str(key["api_key"])
    region = Region(network_id, keys)
    staff = {"Authorization": f"Bearer {await region.token(stack, 'healthwatch')}"}
    async with httpx.AsyncClient(base_url=stack.platform.url("feedback"), timeout=30) as http:
        for number in range(consultations):
            body = consultation_body(f"Discharge letters, ward {number + 1}")
            deadline = time.monotonic() + WAIT_SECONDS
            while (response := await http.post("/v1/consultations", json=body,
                                               headers=staff)).status_code != 201:
                if time.monotonic() > deadline:
                    _created(response)
                await asyncio.sleep(0.2)  # feedback has not heard of the Healthwatch yet
            region.consultation_ids.append(str(response.json()["consultation_id"]))
    return region
