"""`chorus up` as a user runs it: the embedded default, and Kafka with PostgreSQL."""

import email
import email.policy
import mailbox
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.fixtures.kafka import KafkaBroker


@contextmanager
def chorus_up(*args: str, cwd: Path) -> Iterator[tuple[str, list[str]]]:
    """Start `chorus up` in a child process; yield the registry's URL and its output lines."""
    offset = random.randrange(20000, 30000)
    child = subprocess.Popen([sys.executable, "-m", "chorus.cli", "up", "--port-offset",
                              str(offset), *args], cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    assert child.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while "Press Ctrl+C to stop." not in "".join(lines):
            line = child.stdout.readline()
            assert line or child.poll() is None, f"chorus up ended early: {lines}"
            lines.append(line)
            assert time.monotonic() < deadline, f"no banner after 90 s: {lines}"
        yield f"http://127.0.0.1:{8001 + offset}", lines
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)
        child.stdout.close()


def admin_headers(base: str, banner: list[str]) -> dict[str, str]:
    [key] = [line.split(":", 1)[1].strip() for line in banner if "admin API key:" in line]
    token = httpx.post(f"{base}/v1/auth/token", json={"api_key": key}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def wait_for_learning(feedback: str) -> bool:
    deadline = time.monotonic() + 20
    while httpx.get(f"{feedback}/v1/learning", params={"q": "discharge"}).json()["total"] < 1:
        assert time.monotonic() < deadline, "the demo learning never became searchable"
        time.sleep(0.1)
    return True


def wait_for_mail(maildir: Path, address: str) -> list[str]:
    """The sign-in codes e-mailed to `address` (the embedded default keeps mail in a Maildir)."""
    deadline = time.monotonic() + 20
    while not (codes := sign_in_codes(maildir, address)):
        assert time.monotonic() < deadline, f"no sign-in code for {address} in {maildir}"
        time.sleep(0.2)
    return codes


def sign_in_codes(maildir: Path, address: str) -> list[str]:
    if not maildir.exists():
        return []
    box = mailbox.Maildir(maildir, create=False)
    codes: list[str] = []
    for key in box.iterkeys():
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
        if address in str(message["To"]) and isinstance(body, EmailMessage):
            codes += re.findall(r"\b\d{6}\b", str(body.get_content()))
    return codes


def wait_for_networks(base: str, count: int, headers: dict[str, str]) -> list[dict]:
    deadline = time.monotonic() + 20
    while len(found := httpx.get(f"{base}/v1/networks", headers=headers).json()) < count:
        assert time.monotonic() < deadline, f"only {found}"
        time.sleep(0.1)
    return found  # type: ignore[no-any-return]


def test_the_embedded_default_starts_with_the_demo_region_and_keeps_it(tmp_path: Path) -> None:
    with chorus_up(cwd=tmp_path) as (base, banner):
        assert any("registry" in line and "/docs" in line for line in banner)
        assert any("demo network" in line for line in banner)
        portal = base.rsplit(":", 1)[0] + f":{int(base.rsplit(':', 1)[1]) - 1}"
        assert any(f"portal         {portal}/" in line for line in banner), banner
        start_page = httpx.get(f"{portal}/")
        assert start_page.status_code == 200 and "sam@example.org" in start_page.text
        headers = admin_headers(base, banner)
        [network] = wait_for_networks(base, 1, headers)
        assert network["organisation_count"] == 3
        assert httpx.get(f"{base}/v1/networks").status_code == 401
        feedback = base.rsplit(":", 1)[0] + f":{int(base.rsplit(':', 1)[1]) + 2}"
        assert any("demo change: Clearer discharge letters" in line for line in banner), banner
        changes = httpx.get(f"{feedback}/v1/changes").json()  # "you said, we did" is public
        assert [c["title"] for c in changes["items"]] == ["Clearer discharge letters"]
        learning = httpx.get(f"{feedback}/v1/learning", params={"q": "discharge"}).json()
        assert learning["total"] == 1 or wait_for_learning(feedback)
        notifications = base.rsplit(":", 1)[0] + f":{int(base.rsplit(':', 1)[1]) + 3}"
        assert httpx.get(f"{notifications}/healthz/ready").status_code == 200
        asked = httpx.post(f"{base}/v1/auth/participant-code", json={"email": "sam@example.org"})
        assert asked.status_code == 202
        [code] = wait_for_mail(tmp_path / ".chorus" / "data" / "mail", "sam@example.org")
        signed_in = httpx.post(f"{base}/v1/auth/participant-token",
                               json={"email": "sam@example.org", "code": code})
        assert signed_in.status_code == 200, signed_in.text
    with chorus_up(cwd=tmp_path) as (base, banner):  # a restart keeps data, seeds nothing
        assert any("demo data already present" in line for line in banner)
        assert len(wait_for_networks(base, 1, headers)) == 1  # the same admin key still works


@pytest.mark.kafka
@pytest.mark.postgres
def test_kafka_and_postgresql_are_one_switch_away(
    tmp_path: Path, kafka_broker: KafkaBroker, postgres_server: object,
) -> None:
    name = f"up_{random.randrange(10**6)}"
    for service in ("registry", "opportunities", "feedback", "notifications"):  # one each
        postgres_server.create_database(f"{name}_{service}")  # type: ignore[attr-defined]
    url = postgres_server.url(name + "_{service}", driver="postgresql")  # type: ignore[attr-defined]
    with chorus_up("--kafka", kafka_broker.bootstrap_servers, "--database-url", url,
                   cwd=tmp_path) as (base, banner):
        assert any(f"Kafka at {kafka_broker.bootstrap_servers}" in line for line in banner)
        headers = admin_headers(base, banner)
        created = httpx.post(f"{base}/v1/networks", json={"name": "Kafka region"},
                             headers=headers)
        assert created.status_code == 201
        assert len(wait_for_networks(base, 2, headers)) == 2
        assert httpx.get(f"{base}/healthz/ready").json()["checks"] == {
            "database": "ok", "bus": "ok"}
