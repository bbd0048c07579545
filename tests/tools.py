"""Tests that need a tool outside Python (kustomize, Chromium, axe-core): in CI a missing
tool fails the test, since a test that skips there tests nothing; locally it skips with a
one-line hint saying how to install it."""

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_tool(message: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{message} (CI must run this test, so this is a failure)")
    pytest.skip(message)
