"""The layering rules of STYLE.md, checked over the source with the ast module."""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / p.name).is_dir())
ALLOWED_IN_DOMAIN = {"chorus.domain", "chorus.errors", "chorus.contracts.vocabulary"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def domain_modules() -> list[Path]:
    return [p for s in SERVICES for p in (ROOT / "services" / s / s).rglob("*.py")
            if p.stem == "domain" or "domain" in p.parent.name]


def test_domains_import_only_the_standard_library_and_kernel_base_types() -> None:
    import sys

    assert domain_modules(), "no domain module found"
    for path in domain_modules():
        for name in imports(path):
            top = name.split(".")[0]
            service = path.parts[path.parts.index("services") + 1]
            allowed = (top in sys.stdlib_module_names or name in ALLOWED_IN_DOMAIN
                       or name.startswith(f"{service}.domain"))
            assert allowed, f"{path.relative_to(ROOT)} imports {name}"


def test_services_never_import_each_other() -> None:
    for service in SERVICES:
        others = set(SERVICES) - {service}
        for path in (ROOT / "services" / service).rglob("*.py"):
            bad = {n for n in imports(path) if n.split(".")[0] in others}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_kernel_never_imports_a_service() -> None:
    for path in (ROOT / "shared" / "chorus").rglob("*.py"):
        bad = {n for n in imports(path) if n.split(".")[0] in SERVICES}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_checks_would_catch_a_framework_import_in_a_domain(tmp_path: Path) -> None:
    bad = tmp_path / "domain.py"
    bad.write_text("from fastapi import APIRouter\nimport sqlalchemy\n")
    assert {"fastapi", "sqlalchemy"} <= imports(bad)
