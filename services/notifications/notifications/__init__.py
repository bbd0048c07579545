"""Chorus notifications: partner webhooks, and telling people what matters to them."""
