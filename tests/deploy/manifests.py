"""The manifests under deploy/k8s: finding them, rendering them with kustomize, and reading
the rendered objects."""

import subprocess
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "k8s"

APPLIED = ("overlays/dev", "overlays/prod", "overlays/dev/migrate", "overlays/prod/migrate",
           "partners/example")
"""What operators apply (docs/operations.md)."""

COMBINATIONS = ("tests/dev-with-network-policies", "tests/prod-with-partner-listener")
"""Further combinations of overlays and components that must render and pass the checks."""

ENVIRONMENTS = ("overlays/dev", "overlays/prod", *COMBINATIONS)
"""Complete environments: everything but the migration Jobs."""

Object = dict[str, Any]


class RenderError(Exception):
    """kustomize refused to build a kustomization."""


def render(kustomize: Path, target: Path) -> list[Object]:
    """`kustomize build` of a folder, as a list of objects."""
    done = subprocess.run([str(kustomize), "build", str(target)], capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RenderError(f"kustomize build {target}: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def kustomization_dirs() -> list[Path]:
    """Every folder with a kustomization.yaml (Kustomizations and Components)."""
    return sorted(p.parent for p in DEPLOY.rglob("kustomization.yaml"))


@cache
def kustomization(folder: Path) -> Object:
    loaded: Object = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return loaded


def is_component(folder: Path) -> bool:
    return bool(kustomization(folder)["kind"] == "Component")


def referenced_files(folder: Path) -> dict[str, set[Path]]:
    """The files a kustomization names, by role: resources, patches and generator inputs."""
    spec = kustomization(folder)
    roles: dict[str, set[Path]] = {"resources": set(), "patches": set(), "inputs": set()}
    for entry in spec.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_file():
            roles["resources"].add(path)
    for patch in spec.get("patches", []):
        if "path" in patch:
            roles["patches"].add((folder / patch["path"]).resolve())
    for generator in spec.get("configMapGenerator", []) + spec.get("secretGenerator", []):
        for source in generator.get("envs", []) + generator.get("files", []):
            roles["inputs"].add((folder / source.split("=")[-1]).resolve())
    return roles


def source_manifests() -> list[Path]:
    """Every file a kustomization lists as a resource: complete objects, unlike patches."""
    return sorted({f for d in kustomization_dirs() for f in referenced_files(d)["resources"]})


def load_file(path: Path) -> list[Object]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(objects: Iterable[Object], kind: str) -> list[Object]:
    return [o for o in objects if o.get("kind") == kind]


def named(objects: Iterable[Object], kind: str, name: str) -> Object:
    [found] = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    return found


def pod_spec(workload: Object) -> Object:
    """The pod template's spec of a Deployment or a Job."""
    spec: Object = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Object, *, init: bool = True) -> Iterator[Object]:
    spec = pod_spec(workload)
    yield from spec.get("containers", [])
    if init:
        yield from spec.get("initContainers", [])


def labels(obj: Object) -> dict[str, str]:
    found: dict[str, str] = obj.get("metadata", {}).get("labels") or {}
    return found


def selects(selector: dict[str, str], pod_labels: dict[str, str]) -> bool:
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())
