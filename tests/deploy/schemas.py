"""Validating objects without a cluster, in strict mode (an unknown field is an error, as the
API server's strict field validation makes it).

Built-in kinds: the Kubernetes OpenAPI schemas that `kubernetes-validate` bundles.
Custom resources: each CRD's `openAPIV3Schema`, read from the CRD files themselves (Strimzi
and CloudNativePG, in CHORUS_CRD_DIR), made strict the way ../shared/k8s-crds/README.md
describes, with `metadata` checked against Kubernetes' ObjectMeta. A kind that neither knows
is an error, never a warning.
"""

import copy
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRDs are large

KUBERNETES_VERSIONS = ("1.32", "1.37")
"""The oldest Kubernetes the manifests support (docs/operations.md), and the newest that
kubernetes-validate knows: the manifests must be valid on both."""

Object = dict[str, Any]


class InvalidObject(Exception):
    """An object that the API server would refuse (or a kind it would not know)."""


def describe(obj: Object) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('apiVersion')}/{obj.get('kind')} {meta.get('name')!r}"


class CustomResources:
    """The strict schemas of every CRD version in a folder, by (apiVersion, kind)."""

    def __init__(self, crd_dir: Path) -> None:
        self.schemas: dict[tuple[str, str], Object] = {}
        self._validators: dict[tuple[str, str], jsonschema.Draft7Validator] = {}
        for path in sorted(crd_dir.rglob("*.yaml")):
            for crd in yaml.load_all(path.read_text(), Loader=_LOADER):
                if crd and crd.get("kind") == "CustomResourceDefinition":
                    self._add(crd)
        if not self.schemas:
            raise FileNotFoundError(f"no CustomResourceDefinition in {crd_dir}")

    def _add(self, crd: Object) -> None:
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served", True):
                schema = strict(version["schema"]["openAPIV3Schema"])
                self.schemas[(f"{group}/{version['name']}", kind)] = schema

    def kinds(self) -> set[str]:
        return {kind for _, kind in self.schemas}

    def validate(self, obj: Object) -> None:
        key = (obj.get("apiVersion", ""), obj.get("kind", ""))
        if key not in self.schemas:
            served = sorted(v for v, k in self.schemas if k == key[1])
            raise InvalidObject(f"no CRD serves this kind at this apiVersion "
                                f"(served: {served or 'none'})")
        if key not in self._validators:
            self._validators[key] = jsonschema.Draft7Validator(self.schemas[key])
        _check(self._validators[key], obj)
        _check(_object_meta_validator(), obj.get("metadata") or {}, where=".metadata")


def strict(schema: Object) -> Object:
    """A copy of a CRD schema that refuses unknown fields and reads the Kubernetes extensions
    (`x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`, `nullable`)."""
    node = copy.deepcopy(schema)
    _harden(node)
    return node


def _harden(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _harden(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("x-kubernetes-int-or-string"):
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        node["additionalProperties"] = False
    for key in ("properties", "patternProperties"):
        for child in (node.get(key) or {}).values():
            _harden(child)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            _harden(node[key])
    for key in ("allOf", "anyOf", "oneOf"):
        _harden(node.get(key) or [])


@cache
def _object_meta_validator() -> jsonschema.Draft202012Validator:
    """Kubernetes' ObjectMeta (strict), for the metadata of custom resources."""
    folder = f"v{KUBERNETES_VERSIONS[0]}.0-local-strict"
    files = resources.files(kubernetes_validate) / "kubernetes-json-schema" / folder
    definitions = json.loads((files / "_definitions.json").read_text())
    registry: Registry[Any] = Resource.from_contents(definitions) @ Registry()
    meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    schema = {"$ref": f"{definitions['$id']}#/$defs/{meta}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _check(validator: Any, instance: Any, *, where: str = "") -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{where}.{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
        raise InvalidObject("; ".join(lines[:5]))


def validate_builtin(obj: Object) -> None:
    """Validate against the bundled Kubernetes schemas of every supported version."""
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            raise InvalidObject(f"{describe(obj)}: Kubernetes {version} has no such kind "
                                "(and no CRD here defines it)") from None
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.absolute_path)
            raise InvalidObject(f"{describe(obj)} (Kubernetes {version}) at "
                                f"{where or '(root)'}: {error.message}") from None


def validate(obj: Object, custom: CustomResources) -> None:
    """Raise InvalidObject unless the object is valid for the API server, strictly."""
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        raise InvalidObject(f"{describe(obj)}: apiVersion and kind are required")
    group = obj["apiVersion"].rpartition("/")[0]
    if obj["kind"] in custom.kinds() or ("." in group and not group.endswith(".k8s.io")):
        try:
            custom.validate(obj)
        except InvalidObject as error:
            raise InvalidObject(f"{describe(obj)}: {error}") from None
    else:
        validate_builtin(obj)


def problems(objects: Iterable[Object], custom: CustomResources) -> list[str]:
    found = []
    for obj in objects:
        try:
            validate(obj, custom)
        except InvalidObject as error:
            found.append(str(error))
    return found
