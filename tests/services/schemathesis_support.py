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
