"""Adapters: the templates, the mail server and the registry."""
