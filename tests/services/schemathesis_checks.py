"""Schemathesis checks every service's suite shares (a check can be registered only once)."""

from typing import Any

import schemathesis


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
