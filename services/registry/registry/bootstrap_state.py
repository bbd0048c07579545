"""What the registry's composition root hands its routes."""

from dataclasses import dataclass

from chorus.auth import TokenIssuer
from registry.application.access import Access
from registry.application.directory import Registry
from registry.application.participants import Participants


@dataclass(frozen=True)
class RegistryState:
    directory: Registry
    participants: Participants
    access: Access
    issuer: TokenIssuer
