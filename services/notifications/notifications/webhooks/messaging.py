"""Stored event name -> (public contract, the facts it publishes)."""

from collections.abc import Callable
from typing import Any

from chorus.contracts import Contract
from chorus.publishing import Data

MAPPINGS: dict[str, tuple[type[Contract], Callable[[Data], dict[str, Any]]]] = {}
