"""What every service's Schemathesis suite shares: the problem+json check (a check can be
registered only once) and how a suite's schema is loaded."""

import copy
from typing import Any

import schemathesis


def fuzzed_schema(document: dict[str, Any], app: Any, max_examples: int) -> Any:
    """The schema Schemathesis fuzzes: derandomised, calling `app` in process.

    `positive_data_acceptance` is off: the services validate more than JSON Schema can say,
    so schema-valid input is rightly refused. The document is copied because Schemathesis
    adds the links it infers to the document it is given.
    """
    config = schemathesis.Config.from_dict({
        "seed": 20240601,
        "generation": {"deterministic": True, "database": "none", "max-examples": max_examples},
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "cache": {"enabled": False},
    })
    schema = schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)
    schema.app = app
    return schema


@schemathesis.check
def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error is RFC 9457 problem+json, whatever the document says."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert content_type == "application/problem+json", (
        f"a {response.status_code} answered with {content_type or 'no content type'}, "
        "not application/problem+json")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"a {response.status_code} with a body that is not JSON") from None
    assert isinstance(body, dict) and body.get("status") == response.status_code, (
        f"the problem's status is not the response's ({response.status_code})")
    assert isinstance(body.get("title"), str) and isinstance(body.get("detail"), str), (
        "the problem has no title or detail")
    return None
