"""What the services' Schemathesis suites share: giving the example and coverage cases the
caller's identity and the seeded records' ids as they are sent.

Cases of the examples and coverage phases are made once, when a suite's module is collected,
before there is any seed or token, and the `map_*` hooks never see them; as made, each
carries `Authorization: Bearer ` (no token) and made-up ids. So they are given the caller's
identity and pointed at the seeded records as they are sent, unless a case is about the
Authorization header itself. What each case was made with is kept (with the case, so that
its id stays its own), so that every caller starts from the same case.
"""

import copy
from typing import Any, Protocol
from uuid import UUID

import schemathesis

MADE: dict[int, tuple[Any, tuple[Any, Any, Any, Any]]] = {}


class UnderTest(Protocol):
    """A suite's service under test: the caller of the moment and its token, and how a
    made-up id is pointed at a seeded record."""

    caller: str

    def pointed(self, where: str, value: Any) -> Any: ...

    def token(self) -> str | None: ...


def give_caller(case: Any, under_test: UnderTest) -> None:
    """In a `before_call` hook: the caller's token and the seeded ids for a case of the
    examples or coverage phase; other cases are left as they are."""
    if case.meta is None or case.meta.phase.name not in ("examples", "coverage"):
        return
    made, parts = MADE.setdefault(id(case), (case, copy.deepcopy((
        case.path_parameters, case.query, case.body, case.headers))))
    assert made is case
    path_parameters, query, body, headers = parts
    case.path_parameters = under_test.pointed("", copy.deepcopy(path_parameters))
    case.query = under_test.pointed("", copy.deepcopy(query))
    if isinstance(body, dict):
        case.body = under_test.pointed("", copy.deepcopy(body))
    about = getattr(case.meta.phase.data, "parameter", None) or ""
    if about.lower() == "authorization":
        return
    case.headers = {name: value for name, value in (headers or {}).items()
                    if name.lower() != "authorization"}
    if (token := under_test.token()) is not None:
        case.headers["Authorization"] = f"Bearer {token}"


class HasSeed(Protocol):
    """What a suite's seed holds: every caller's token, and the seeded ids by field name."""

    tokens: dict[str, str | None]
    known: dict[str, list[str]]


class SeededService:
    """The caller of the moment and the seeded records, for a suite's service under test:
    made-up ids are pointed at seeded records, and requests carry the caller's token."""

    caller: str
    seed: HasSeed | None

    def known(self, name: str, value: Any) -> Any:
        """A seeded record's id for the generated UUIDs whose second-lowest bit is clear
        (most of them: they mostly end in 1, 5, 9 or d, so the lowest bit would point almost
        none at the seed), else `value`; which record by bits of the UUID's first half."""
        if self.seed is None or name not in self.seed.known or not isinstance(value, str):
            return value
        try:
            number = UUID(value).int
        except ValueError:
            return value
        if number & 2:
            return value
        seeded = self.seed.known[name]
        return seeded[(number >> 64) % len(seeded)]

    def token(self) -> str | None:
        """The token of the caller of the moment, if it has one."""
        return self.seed.tokens[self.caller] if self.seed else None

    def pointed(self, name: str, value: Any) -> Any:
        """`value` with the ids in it (however deep) pointed at seeded records as `known` does."""
        if isinstance(value, dict):
            return {key: self.pointed(key, item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.pointed(name.removesuffix("s"), item) for item in value]
        return self.known(name, value)


def give_every_case_its_caller(schema: Any, under_test: SeededService, *,
                               bodies: bool = True) -> None:
    """Wire a suite's schema to its service under test: every case carries the caller's
    token, and the ids in its path and query (and, with `bodies`, its body, also for the
    examples and coverage phases) point at seeded records."""

    @schema.auth(refresh_interval=None, retry_on=[])
    class CallerToken:
        """The caller's bearer token (none for the anonymous caller)."""

        def get(self, case: Any, context: Any) -> str | None:
            return under_test.token()

        def set(self, case: Any, data: str | None, context: Any) -> None:
            if data is not None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        return under_test.pointed("", path_parameters) if path_parameters else path_parameters

    def map_query(context: Any, query: dict[str, Any] | None) -> Any:
        return under_test.pointed("", query) if query else query

    schema.hook(map_path_parameters)
    schema.hook(map_query)
    if not bodies:
        return

    def map_body(context: Any, body: Any) -> Any:
        return under_test.pointed("", body) if isinstance(body, dict) else body

    def before_call(context: Any, case: Any, **kwargs: Any) -> None:
        if case.operation.schema.app is under_test:
            give_caller(case, under_test)

    schema.hook(map_body)
    schemathesis.hook(before_call)
