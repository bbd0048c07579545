"""The registry's read models: the directory of networks and organisations."""

from sqlalchemy import Column, ForeignKey, MetaData, String, Table, Uuid, delete, insert

from chorus.repository import EventCodec
from chorus.store import RecordedEvent
from chorus.store.database import Transaction
from chorus.store.types import UtcDateTime
from registry.domain.directory import NetworkCreated, OrganisationJoined, OrganisationLeft

metadata = MetaData()

networks = Table(
    "networks", metadata,
    Column("network_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(32)),
    Column("created_at", UtcDateTime(), nullable=False),
)

organisations = Table(
    "organisations", metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("network_id", Uuid, ForeignKey("networks.network_id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ods_code", String(10)),
    Column("joined_at", UtcDateTime(), nullable=False),
)


class Directory:
    """Networks and their member organisations, as anyone in the region may see them."""

    name = "directory"
    tables = (networks, organisations)

    def __init__(self, codec: EventCodec) -> None:
        self.codec = codec

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None:
        match self.codec.decode(event):
            case NetworkCreated() as created:
                await tx.conn.execute(insert(networks).values(
                    network_id=created.network_id, name=created.name,
                    region_code=created.region_code, created_at=created.created_at))
            case OrganisationJoined() as joined:
                await tx.conn.execute(insert(organisations).values(
                    organisation_id=joined.organisation_id, network_id=joined.network_id,
                    name=joined.name, kind=joined.kind.value, ods_code=joined.ods_code,
                    joined_at=joined.joined_at))
            case OrganisationLeft() as left:
                await tx.conn.execute(delete(organisations).where(
                    organisations.c.organisation_id == left.organisation_id))
