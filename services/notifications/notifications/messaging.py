"""The mapping from the notifications service's stored events to its public contracts: the
webhook half's and the people half's together."""

from chorus.publishing import to_public as public_mapping
from notifications.people.messaging import MAPPINGS as PEOPLE
from notifications.webhooks.messaging import MAPPINGS as WEBHOOKS

MAPPINGS = {**WEBHOOKS, **PEOPLE}
PUBLIC = {name: contract for name, (contract, _) in MAPPINGS.items()}

to_public = public_mapping(MAPPINGS)
