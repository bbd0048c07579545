"""What each half of the service (partner webhooks, people) hands the composition root."""

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chorus.envelope import Envelope
from chorus.store.database import Transaction

Heard = Callable[[Transaction, Envelope], Awaitable[None]]
Worker = Callable[[], Coroutine[Any, Any, None]]
S = TypeVar("S")


@dataclass(frozen=True)
class Part(Generic[S]):
    """One half of the service, composed: the state its routes read, what it does with each
    event the service consumes (in the inbox's transaction), and its background workers."""

    state: S
    heard: Heard
    workers: Sequence[Worker] = field(default=())
