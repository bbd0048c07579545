"""What the browser tests need: the portal served on a loopback port, Debian's Chromium
driven by Playwright (launched by its path, never downloaded), axe-core from the npm
registry, and a record of every page visited for the accessibility checks and screenshots."""

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from portal.settings import ASSETS
from tests.tools import missing_tool

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = ASSETS / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def missing(what: str, hint: str) -> None:
    missing_tool(f"{what} is missing: {hint}")


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        missing("Chromium", "run scripts/install-browser.sh")
    assert found is not None
    return found


def axe_source() -> str:
    if not AXE.is_file():
        missing("axe-core", "run scripts/install-portal-assets.sh")
    return AXE.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app on a free loopback port, in this event loop (beside the services it calls)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the portal did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@dataclass
class Visits:
    """Every page a journey saw (path and a name for its screenshot), to check afterwards."""

    pages: list[tuple[str, str]] = field(default_factory=list)

    def saw(self, path: str, name: str) -> None:
        if all(seen != path for seen, _ in self.pages):
            self.pages.append((path, name))


async def audit(page: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.evaluate(axe + "\n;true")
    result = await page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))", AXE_TAGS)
    return [v for v in result if v["impact"] in SERIOUS]
