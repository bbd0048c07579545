"""The people half composed: what it does with each event it hears, the worker that sends,
and what its routes use (`request.app.state.service.people`)."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chorus.contracts import CatalogueError, UnknownEventType, parse_event
from chorus.envelope import Envelope
from chorus.errors import SettingsError
from chorus.secretfiles import service_api_keys
from chorus.service import Kernel
from chorus.store.database import Transaction
from chorus.waiting import work_in_batches
from notifications.people.adapters.letters import Letters
from notifications.people.adapters.mail import Mailer, mailer_for
from notifications.people.adapters.registry import RegistryContacts
from notifications.people.application.digests import Digests
from notifications.people.application.directory import Directory
from notifications.people.application.notices import BATCH, Notices
from notifications.people.application.preferences import PreferenceBook
from notifications.people.application.reminders import Reminders
from notifications.people.application.sending import Sender
from notifications.people.application.sign_in import SignInCodes
from notifications.people.application.telling import Telling
from notifications.settings import NotificationSettings

log = logging.getLogger(__name__)


class People:
    def __init__(self, kernel: Kernel, settings: NotificationSettings,
                 clock: Callable[[], datetime], *, mailer: Mailer | None = None) -> None:
        self.db = kernel.db
        self.settings = settings
        self.clock = clock
        self.poll_interval = kernel.settings.poll_interval
        self.zone = ZoneInfo(settings.timezone)
        self.letters = Letters(self.zone)
        self.directory = Directory()
        self.notices = Notices(kernel.db, self.letters)
        self.telling = Telling(self.notices, self.directory, clock)
        self.registry = RegistryContacts(str(settings.registry_url), _api_key(kernel))
        self.reminders = Reminders(kernel.db, self.notices, self.directory,
                                   invitation_hours=settings.invitation_reminder_hours,
                                   session_hours=settings.session_reminder_hours)
        self.sender = Sender(
            kernel.db, kernel.store, self.notices, self.directory, self.registry,
            mailer or mailer_for(settings, kernel.settings.data_dir), self.letters,
            mail_from=settings.mail_from, zone=self.zone, still_true=self.reminders.still_true,
            claim_for=timedelta(seconds=settings.mail_claim_seconds))
        self.digests = Digests(kernel.db, self.notices, hour=settings.digest_hour,
                               zone=self.zone)
        self.preferences = PreferenceBook(kernel.db)
        self.sign_in = SignInCodes(kernel.db, self.notices, self.directory, self.sender, clock)
        self.wake = asyncio.Event()

    async def heard(self, tx: Transaction, envelope: Envelope) -> None:
        """Note what the event says about the region and make the notices it calls for, in
        the inbox's transaction; the sender wakes once it has committed."""
        try:
            event = parse_event(envelope.type, envelope.data)
        except UnknownEventType:
            return
        except (CatalogueError, ValueError) as error:  # the webhook half may still want it
            log.warning("people: cannot read %s %s: %s", envelope.type, envelope.id, error)
            return
        await self.directory.apply(tx, event, envelope.id)
        await self.telling.apply(tx, envelope, event)
        tx.after_commit(self.wake.set)

    async def step(self, now: datetime | None = None) -> int:
        """One round at `now` (default: the clock): make the reminders and digests now due,
        then send what is due. How much it did."""
        now = now or self.clock()
        if stuck := await self.notices.mark_uncertain(now):
            log.warning("people: %d notice(s) left sending by a stopped process are marked "
                        "uncertain and will not be sent again", stuck)
        made = await self.reminders.make_due(now) + await self.digests.gather_due(now)
        return made + await self.sender.send_due(now)

    async def work(self) -> None:
        """The worker: a round whenever woken, or every poll interval. Each round first
        marks `uncertain` what a stopped process left `sending` past its claim (never sent
        again)."""
        try:
            await work_in_batches(self.step, wake=self.wake, batch_size=BATCH,
                                  poll_interval=self.poll_interval, name="participant e-mail")
        finally:
            await self.registry.close()


def _api_key(kernel: Kernel) -> str | None:
    key = service_api_keys(kernel.settings).get("notifications")
    if key is None and kernel.settings.environment == "production":
        raise SettingsError('CHORUS_SERVICE_KEYS: needs the "notifications" API key, which '
                            "the registry exchanges for the token that reads contact details")
    return key
