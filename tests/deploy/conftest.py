"""What the deployment tests need: kustomize, and the operators' CRDs beside the repository.

Locally a missing tool skips these tests with a line saying how to get it; in CI (`CI` set)
it fails them, so that a CI run never passes without having checked the manifests.
"""

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from chorus.service import ServiceRuntime
from tests.deploy.agreement import SERVICES, declared_runtime
from tests.deploy.manifests import APPLIED, COMBINATIONS, DEPLOY, REPO, Object, render
from tests.deploy.schemas import CustomResources
from tests.tools import missing_tool

KUSTOMIZE_MAJOR = "v5."


def missing(what: str) -> NoReturn:
    missing_tool(what)


def find_kustomize() -> Path | None:
    """CHORUS_KUSTOMIZE, else the one scripts/install-kustomize.sh builds, else PATH's."""
    chosen = os.environ.get("CHORUS_KUSTOMIZE")
    candidates = [Path(chosen)] if chosen else [REPO / ".tools" / "bin" / "kustomize"]
    on_path = shutil.which("kustomize")
    if not chosen and on_path:
        candidates.append(Path(on_path))
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="session")
def kustomize() -> Path:
    found = find_kustomize()
    if found is None:
        missing("kustomize not found: run scripts/install-kustomize.sh (needs Go 1.21+), "
                "or set CHORUS_KUSTOMIZE")
    version = subprocess.run([str(found), "version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout.strip()
    if not version.startswith(KUSTOMIZE_MAJOR):
        missing(f"{found} is kustomize {version or '(unknown)'}; these manifests need v5: "
                "run scripts/install-kustomize.sh")
    return found


def crd_dir() -> Path:
    """CHORUS_CRD_DIR, else ../shared/k8s-crds beside the repository."""
    chosen = os.environ.get("CHORUS_CRD_DIR")
    return Path(chosen) if chosen else REPO.parent / "shared" / "k8s-crds"


@pytest.fixture(scope="session")
def custom_resources() -> CustomResources:
    folder = crd_dir()
    if not (folder / "strimzi").is_dir() or not (folder / "cloudnative-pg").is_dir():
        missing(f"the Strimzi and CloudNativePG CRDs are not in {folder}: put them there "
                "(../shared/k8s-crds beside the repository) or set CHORUS_CRD_DIR")
    return CustomResources(folder)


@pytest.fixture(scope="session")
def rendered(kustomize: Path) -> dict[str, list[Object]]:
    """Every folder operators apply, and the test combinations, rendered once."""
    return {target: render(kustomize, DEPLOY / target)
            for target in (*APPLIED, *COMBINATIONS, "base", "base/migrations")}


@pytest.fixture(scope="session")
def declared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ServiceRuntime]:
    """Each service composed as in development: what its code declares."""
    return {service: declared_runtime(service, tmp_path_factory.mktemp(service))
            for service in SERVICES}


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CHORUS_*, OTEL_* or PG* variable from outside reaches the settings under test."""
    for name in list(os.environ):
        if name.startswith(("CHORUS_", "OTEL_", "PG")):
            monkeypatch.delenv(name)
