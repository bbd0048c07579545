"""Which event types a subscription asks for: exact types, or patterns with `*`.

A type is dotted, `chorus.<service>.<EventName>.v<N>`. A pattern is dotted the same way;
each `*` stands for one or more whole parts: `chorus.feedback.*` is every feedback event,
`*.ChangeMade.*` every version of ChangeMade, `*` everything.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

WILDCARD = "*"
MAX_LENGTH = 200
_PART = re.compile(r"[A-Za-z0-9_]+")
_ANY_PARTS = r"[^.]+(?:\.[^.]+)*"


class MalformedPattern(ValueError):
    """A pattern is not dotted parts of letters, digits, `_` or a lone `*`."""


@dataclass(frozen=True)
class EventPattern:
    """An exact event type, or a pattern that may match several."""

    text: str

    @classmethod
    def parse(cls, text: str) -> "EventPattern":
        if not text or len(text) > MAX_LENGTH:
            raise MalformedPattern(f"{text!r}: an event type is 1 to {MAX_LENGTH} characters")
        for part in text.split("."):
            if part != WILDCARD and not _PART.fullmatch(part):
                raise MalformedPattern(
                    f"{text!r}: each dotted part is a name or a lone '*' (standing for one or "
                    "more whole parts), as in 'chorus.feedback.*' or '*.ChangeMade.*'")
        return cls(text)

    @property
    def is_exact(self) -> bool:
        return WILDCARD not in self.text.split(".")

    def matches(self, event_type: str) -> bool:
        return _compiled(self.text).fullmatch(event_type) is not None


def matches_any(patterns: list[str] | tuple[str, ...], event_type: str) -> bool:
    """Whether any of a subscription's (already checked) patterns matches the type."""
    return any(_compiled(p).fullmatch(event_type) is not None for p in patterns)


@lru_cache(maxsize=1024)
def _compiled(text: str) -> re.Pattern[str]:
    # A pure function of the text: caching it cannot go stale.
    parts = [_ANY_PARTS if part == WILDCARD else re.escape(part) for part in text.split(".")]
    return re.compile(r"\.".join(parts))
