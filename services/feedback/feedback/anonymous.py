"""The hourly allowance of anonymous submissions per client address."""

from typing import Any

from fastapi import HTTPException
from limits import RateLimitItemPerHour
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from chorus.problems import problem_response

ANONYMOUS_PER_HOUR = 20
"""Anonymous responses and stories one client may send in an hour."""

TOO_MANY: dict[int | str, dict[str, Any]] = {429: problem_response(
    f"More than {ANONYMOUS_PER_HOUR} anonymous submissions from one address this hour") | {
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}}}
"""The answer a route with an anonymous allowance may give, for its OpenAPI document."""


class AnonymousLimit:
    """Keeps one client from flooding a public consultation or the stories queue.

    Counted in this process's memory, per client address (behind a proxy, run the server
    with its forwarded-headers option so the address is the client's).
    """

    def __init__(self, per_hour: int = ANONYMOUS_PER_HOUR) -> None:
        self.limit = RateLimitItemPerHour(per_hour)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str) -> None:
        if not self.limiter.hit(self.limit, "anonymous", client):
            raise HTTPException(429, f"at most {self.limit.amount} anonymous submissions an "
                                     "hour from one address; sign in, or try later",
                                headers={"Retry-After": "3600"})
