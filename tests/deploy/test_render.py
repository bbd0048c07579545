"""deploy/k8s renders with kustomize, and every file in it has a place."""

from pathlib import Path

import pytest

from tests.deploy.manifests import (
    APPLIED,
    COMBINATIONS,
    DEPLOY,
    Object,
    RenderError,
    is_component,
    kustomization_dirs,
    referenced_files,
    render,
)


def test_every_kustomization_renders(kustomize: Path) -> None:
    failed = []
    for folder in kustomization_dirs():
        if is_component(folder):
            continue  # components render inside the kustomizations that take them
        try:
            render(kustomize, folder)
        except RenderError as error:
            failed.append(str(error))
    assert not failed


def test_what_operators_apply_renders_to_something(rendered: dict[str, list[Object]]) -> None:
    for target in (*APPLIED, *COMBINATIONS):
        assert rendered[target], target


def test_every_component_is_used() -> None:
    components = {d for d in kustomization_dirs() if is_component(d)}
    used = set()
    for folder in kustomization_dirs():
        from tests.deploy.manifests import kustomization

        used |= {(folder / c).resolve() for c in kustomization(folder).get("components", [])}
    assert components <= used


def test_every_file_in_deploy_k8s_is_a_kustomization_resource_patch_or_input() -> None:
    placed = set()
    for folder in kustomization_dirs():
        placed.add((folder / "kustomization.yaml").resolve())
        for files in referenced_files(folder).values():
            placed |= files
    on_disk = {p.resolve() for p in DEPLOY.rglob("*") if p.is_file()}
    assert on_disk - placed == set(), "files that no kustomization uses"
    assert placed - on_disk == set(), "files that kustomizations name but are not there"


def test_kustomize_fails_on_a_broken_kustomization(kustomize: Path, tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - missing.yaml\n")

    with pytest.raises(RenderError, match=r"missing\.yaml"):
        render(kustomize, tmp_path)
