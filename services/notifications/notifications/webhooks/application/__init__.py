"""The partner webhooks' handlers: subscriptions, the fan-out of each event heard, the
dispatcher that sends deliveries, and the delivery log with replay."""
