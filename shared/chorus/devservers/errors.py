"""Errors raised while installing or running local development servers."""


class ChorusDevServerError(RuntimeError):
    """A development server could not be installed, started, stopped or reached."""
