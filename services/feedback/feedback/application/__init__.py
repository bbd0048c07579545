"""Handlers for the feedback service."""
