"""Finding the installed services through the `chorus.services` entry points, and the web
front ends (the portal) through `chorus.frontends`.

The kernel never imports a service by name; each service package declares itself.
"""

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from chorus.service import ServiceSpec

ENTRY_POINT_GROUP = "chorus.services"
FRONTEND_GROUP = "chorus.frontends"

FrontEnd = Callable[..., tuple[Any, int]]
"""Builds a front end's app for `chorus up` from `data_dir`, `host` and `port_offset`, and
says which port it listens on."""


def discover() -> dict[str, ServiceSpec]:
    """Every installed service, by name, in the order of their default ports."""
    specs = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return {spec.name: spec for spec in sorted(specs, key=lambda s: s.port)}


def find(name: str) -> ServiceSpec:
    services = discover()
    if name not in services:
        known = ", ".join(services) or "none installed"
        raise KeyError(f"no service called {name!r} (installed: {known})")
    return services[name]


def frontends() -> dict[str, FrontEnd]:
    """Every installed web front end, by name."""
    return {ep.name: ep.load() for ep in entry_points(group=FRONTEND_GROUP)}
