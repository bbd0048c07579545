"""Bodies too large or JSON nested too deeply are refused with problem+json before any route
parses them; ordinary requests pass through untouched."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from chorus.limits import MAX_DEPTH, nested_deeper_than
from tests.services.registry.conftest import ADMIN_KEY, client  # noqa: F401 (a fixture)


@pytest.mark.parametrize(("body", "deeper"), [
    (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
    (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), True),
    (b"[]" * 10_000, False),  # many brackets, none nested
    (json.dumps({"text": "[" * 1000}).encode(), False),  # brackets inside a string
    (json.dumps({"text": '"[' * 1000}).encode(), False),  # escaped quotes inside a string
    (json.dumps(["\\", "[" * 100]).encode(), False),  # a string ending in a backslash
    (b'["\\\\"' + b"," + b"[" * (MAX_DEPTH + 1), True),  # brackets after an escaped backslash
])
def test_nesting_is_measured_outside_strings(body: bytes, deeper: bool) -> None:
    assert nested_deeper_than(body, MAX_DEPTH) is deeper


def problem_of(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


async def test_deeply_nested_json_is_refused_without_parsing(
        client: httpx.AsyncClient) -> None:  # noqa: F811
    nested = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # beyond Python's stack
    answer = await client.post("/v1/networks", content=nested,
                               headers={"Content-Type": "application/json"})
    assert "32 levels" in str(problem_of(answer, 400)["detail"])


async def test_an_oversized_body_is_refused_by_its_declared_length(
        client: httpx.AsyncClient) -> None:  # noqa: F811
    big = json.dumps({"name": "x" * 2_000_000}).encode()
    answer = await client.post("/v1/networks", content=big,
                               headers={"Content-Type": "application/json"})
    assert "1,048,576 bytes" in str(problem_of(answer, 413)["detail"])


async def test_an_oversized_body_sent_in_chunks_is_refused(
        client: httpx.AsyncClient) -> None:  # noqa: F811
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    answer = await client.post("/v1/networks", content=chunks(),
                               headers={"Content-Type": "application/json"})
    problem_of(answer, 413)


async def test_ordinary_requests_pass_through(client: httpx.AsyncClient) -> None:  # noqa: F811
    token = (await client.post("/v1/auth/token", json={"api_key": ADMIN_KEY})
             ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = await client.post("/v1/networks", json={"name": "North [Example] {region}"},
                                headers=headers)
    assert created.status_code == 201, created.text
    assert (await client.get("/v1/networks", headers=headers)).status_code == 200
