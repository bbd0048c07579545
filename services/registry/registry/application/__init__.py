"""The registry's application layer: handlers for the directory, participants and access."""

from registry.application.directory import CreateNetwork, JoinOrganisation, Registry

__all__ = ["CreateNetwork", "JoinOrganisation", "Registry"]
