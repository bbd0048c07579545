"""The base class of every public event contract."""

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from chorus.contracts import catalogue

_SERVICE = re.compile(r"[a-z][a-z0-9_]*")
_EVENT_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")


class Contract(BaseModel):
    """A public event: a fact in the past tense that one service publishes to all.

    Declare a contract with class keywords; it is added to the catalogue as soon as
    the class exists::

        class NetworkCreated(Contract, service="registry", version=1):
            network_id: UUID

    The event name defaults to the class name. Pass ``name=`` when two versions
    live side by side (``class NetworkCreatedV1(Contract, service="registry",
    name="NetworkCreated", version=1)``). A subclass without ``service`` and
    ``version`` is an abstract base (for shared fields) and is not registered.
    """

    # Frozen because an event is a fact; extra="forbid" so a producer's typo fails
    # at construction instead of shipping a field nobody declared.
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Prefixed with "event_" so that plain names (`name`, `service`, `version`) stay
    # free for facts: pydantic would turn a same-named annotation into a field.
    event_service: ClassVar[str]
    event_name: ClassVar[str]
    event_version: ClassVar[int]

    def __init_subclass__(
        cls,
        *,
        service: str | None = None,
        version: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Runs before pydantic has built the fields, so it only checks and records
        # the event type; registration waits for the finished model (below).
        super().__init_subclass__(**kwargs)
        if service is None and version is None and name is None:
            return
        if service is None or version is None:
            raise TypeError(f"{cls.__name__}: a contract needs both service= and version=")
        cls.event_service = _checked_service(service)
        cls.event_name = _checked_name(name or cls.__name__)
        cls.event_version = _checked_version(version)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_version" not in cls.__dict__:
            return  # abstract base, or a subclass of a contract that declares nothing new
        shadowed = set(cls.model_fields) & set(Contract.__class_vars__)
        if shadowed:
            raise TypeError(f"{cls.__name__}: field names reserved by Contract: {shadowed}")
        catalogue.register_contract(cls)

    @classmethod
    def event_type(cls) -> str:
        """The CloudEvents ``type``: ``chorus.<service>.<EventName>.v<N>``."""
        return f"chorus.{cls.event_service}.{cls.event_name}.v{cls.event_version}"


def _checked_service(service: str) -> str:
    # The service name becomes part of topic names and the CloudEvents source.
    if not _SERVICE.fullmatch(service):
        raise TypeError(f"service {service!r} must be a lower-case identifier")
    return service


def _checked_name(name: str) -> str:
    if not _EVENT_NAME.fullmatch(name):
        raise TypeError(f"event name {name!r} must be PascalCase, e.g. 'NetworkCreated'")
    return name


def _checked_version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TypeError(f"version {version!r} must be a positive integer")
    return version
