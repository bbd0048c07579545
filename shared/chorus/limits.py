"""Requests too big or too deeply nested to be worth parsing are refused before any route
sees them: a body over the size limit gets 413, JSON nested deeper than any Chorus document
gets 400, both as problem+json and without parsing the body."""

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from chorus.problems import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_DEPTH = 32  # no Chorus document nests beyond a handful of levels
_SPECIAL = re.compile(rb'["\\\[\]{}]')
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays or objects inside one another
    (brackets inside strings do not count). Linear in the body, and quick to say yes."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, escaped_at = 0, False, -1
    for found in _SPECIAL.finditer(body):
        at = found.start()
        if at == escaped_at:
            continue
        char = body[at]
        if in_string:
            if char == _BACKSLASH:
                escaped_at = at + 1
            elif char == _QUOTE:
                in_string = False
        elif char == _QUOTE:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False


class RequestLimits:
    """ASGI middleware: reads the body once (up to the limit), checks it, then hands it on."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int = MAX_DEPTH) -> None:
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away before sending its body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(scope) and nested_deeper_than(body, self.max_depth):
            answer = problem(400, "Nested too deeply",
                             f"The JSON body nests arrays or objects more than "
                             f"{self.max_depth} levels deep.")
            await answer(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = problem(413, "Content too large",
                         f"The request body is over {self.max_bytes:,} bytes.")
        answer.headers["Connection"] = "close"  # the rest of the body is not read
        await answer(scope, receive, send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # later: wait for the disconnect, as the server would say
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return False
