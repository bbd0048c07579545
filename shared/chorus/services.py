"""Finding the installed services through the `chorus.services` entry points.

The kernel never imports a service by name; each service package declares itself.
"""

from importlib.metadata import entry_points

from chorus.service import ServiceSpec

ENTRY_POINT_GROUP = "chorus.services"


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
