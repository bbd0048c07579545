"""Errors the kernel raises, each named for what went wrong in the domain's words."""


class ChorusError(Exception):
    """Base of the kernel's errors."""


class ConcurrencyError(ChorusError):
    """Another command changed the stream first: the expected version is stale."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        now = "has moved on" if actual is None else f"is at version {actual}"
        super().__init__(f"stream {stream_id} {now}, not at the expected version {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class NotFound(ChorusError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Conflict(ChorusError):
    """The command clashes with something that already exists (e.g. a registered e-mail)."""


class Gone(ChorusError):
    """The thing existed but can no longer be used (e.g. a participant who left)."""


class DomainRuleBroken(ChorusError):
    """A command breaks a rule of the domain; the message says which."""


class SettingsError(ChorusError):
    """A setting is missing, malformed or points at something unreachable."""
