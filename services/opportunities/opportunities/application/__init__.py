"""The opportunities service's handlers and policies."""
