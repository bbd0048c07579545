"""Partner webhooks: subscriptions, signed deliveries, retries, the delivery log, replay,
and an e-mail to the organisation when its endpoint is disabled."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chorus.crypto import KeyRing, MasterKey
from chorus.envelope import Envelope
from chorus.secretfiles import service_api_keys
from chorus.service import Kernel
from chorus.store.database import Transaction
from notifications.part import Part
from notifications.people.adapters.mail import mailer_for
from notifications.people.adapters.registry import RegistryContacts
from notifications.settings import NotificationSettings
from notifications.webhooks import addresses
from notifications.webhooks.application.claims import Claims
from notifications.webhooks.application.deliveries import Deliveries
from notifications.webhooks.application.dispatcher import PER_SUBSCRIPTION, Dispatcher
from notifications.webhooks.application.fanout import FanOut
from notifications.webhooks.application.recording import Attempts, Rules
from notifications.webhooks.application.subscriptions import Subscriptions
from notifications.webhooks.application.telling import Telling
from notifications.webhooks.domain.delivery import RetrySchedule
from notifications.webhooks.letters import EndpointLetters
from notifications.webhooks.outbound import Outbound
from notifications.webhooks.state import WebhooksState


def compose(kernel: Kernel, settings: NotificationSettings,
            clock: Callable[[], datetime]) -> Part[WebhooksState]:
    keys = KeyRing(MasterKey.from_settings(kernel.settings))
    # The resolver is looked up now, not at import, so that tests can stand in for DNS.
    outbound = Outbound(addresses.AddressPolicy(
        allow_loopback_http=bool(settings.webhook_allow_loopback_http)),
        resolver=addresses.system_resolver)
    subscriptions = Subscriptions(kernel.db, kernel.store, keys, outbound, clock)
    schedule = RetrySchedule(tuple(settings.webhook_retry_schedule))
    timeout = settings.webhook_timeout
    claims = Claims(kernel.db, keys, lease=Dispatcher.lease_for(timeout),
                    per_subscription=PER_SUBSCRIPTION)
    rules = Rules(schedule, timedelta(seconds=settings.webhook_disable_after))
    attempts = Attempts(kernel.db, kernel.store, subscriptions, rules, clock, random.random)
    dispatcher = Dispatcher(claims, attempts, outbound, timeout=timeout,
                            poll_interval=kernel.settings.poll_interval, clock=clock)
    fan_out = FanOut(subscriptions, schedule, clock, random.random, dispatcher.wake)
    telling = _telling(kernel, settings, clock, subscriptions)
    state = WebhooksState(subscriptions, Deliveries(kernel.db, subscriptions, clock,
                                                    dispatcher.wake), telling)

    async def heard(tx: Transaction, envelope: Envelope) -> None:
        await fan_out.heard(tx, envelope)

    async def dispatch() -> None:
        try:
            await dispatcher.run()
        finally:
            await outbound.aclose()

    return Part(state=state, heard=heard, workers=[dispatch, telling.work])


def _telling(kernel: Kernel, settings: NotificationSettings, clock: Callable[[], datetime],
             subscriptions: Subscriptions) -> Telling:
    """Its own registry client and mailer, built as the people half builds its own."""
    registry = RegistryContacts(str(settings.registry_url),
                                service_api_keys(kernel.settings).get("notifications"))
    letters = EndpointLetters(ZoneInfo(settings.timezone), mail_from=settings.mail_from,
                              failing_for=timedelta(seconds=settings.webhook_disable_after),
                              timeout=settings.webhook_timeout)
    return Telling(kernel.db, registry, mailer_for(settings, kernel.settings.data_dir),
                   letters, clock=clock, wake=subscriptions.disabled,
                   poll_interval=kernel.settings.poll_interval)
