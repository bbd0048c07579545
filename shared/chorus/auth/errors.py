"""The two ways a request can be turned away: the caller is unknown, or may not do this."""

from chorus.errors import ChorusError


class Unauthenticated(ChorusError):
    """The caller did not prove who they are: no token, or one that does not verify.

    `reason` is plain and safe to show the caller ("token expired"); `token_given` is false
    when no credentials came at all, which HTTP answers without an error code (RFC 6750).
    """

    def __init__(self, reason: str, *, token_given: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token_given = token_given


class Forbidden(ChorusError):
    """The caller is known but may not do this; `reason` says what it would take."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
