"""The partner webhooks' domain: subscriptions, which events they ask for, and the rules of
delivering to them (retries, ordering, giving up). Pure Python.

Each module stands alone (none imports another), so the domain stays free of anything but
the standard library and the kernel's base types.
"""
