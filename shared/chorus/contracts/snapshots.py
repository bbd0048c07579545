"""Committed JSON Schema snapshots of every published contract, and their guard.

``schemas/<event type>.json`` holds what was published. A contract may change only
compatibly with its snapshot; ``python -m chorus.contracts.snapshots export``
rewrites the snapshots after a compatible change and refuses an incompatible one.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chorus.contracts.base import Contract
from chorus.contracts.catalogue import UnknownEventType, all_contracts, contract_for
from chorus.contracts.compatibility import JSONSchema, check_compatibility

SCHEMA_DIRECTORY = Path(__file__).parent / "schemas"
"""Where the published snapshots are committed."""

__all__ = [
    "SCHEMA_DIRECTORY",
    "IncompatibleSnapshots",
    "check_compatibility",
    "check_snapshots",
    "export_snapshots",
    "main",
    "render",
    "schema_of",
    "snapshot_path",
]


class IncompatibleSnapshots(Exception):
    """Contracts changed incompatibly with their published snapshots."""

    def __init__(self, breaking: dict[str, list[str]]) -> None:
        super().__init__(f"incompatible with published snapshots: {', '.join(breaking)}")
        self.breaking = breaking


def schema_of(contract: type[Contract]) -> JSONSchema:
    """The JSON Schema a contract publishes."""
    return contract.model_json_schema()


def render(schema: JSONSchema) -> str:
    """A snapshot's text: sorted keys and indentation, so that diffs are readable."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def snapshot_path(directory: Path, event_type: str) -> Path:
    """Where the snapshot of an event type lives."""
    return directory / f"{event_type}.json"


def export_snapshots(directory: Path = SCHEMA_DIRECTORY) -> list[Path]:
    """Write the snapshot of every contract that is new or changed; return those written.

    Raises `IncompatibleSnapshots`, writing nothing, when any contract breaks its
    published snapshot: that change must be a new version with an upcaster.
    """
    breaking = _breaking_changes(directory)
    if breaking:
        raise IncompatibleSnapshots(breaking)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for contract in all_contracts():
        path, text = snapshot_path(directory, contract.event_type()), render(schema_of(contract))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def check_snapshots(directory: Path = SCHEMA_DIRECTORY) -> list[str]:
    """Everything wrong between the contracts and the snapshots, one sentence each.

    Breaking changes, missing or out-of-date snapshots, and snapshots whose contract
    was deleted (a published event type is never deleted). Empty when all is well.
    """
    breaking = _breaking_changes(directory)
    problems = [f"{kind}: {change}" for kind, changes in breaking.items() for change in changes]
    problems += [f"{kind}: snapshot missing or out of date" for kind in _stale(directory)]
    problems += [f"{path.name}: published, but no contract has it" for path in _orphans(directory)]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m chorus.contracts.snapshots {export,check} [--directory DIR]``."""
    arguments = _parser().parse_args(argv)
    directory: Path = arguments.directory
    if arguments.command == "check":
        return _report_check(check_snapshots(directory))
    try:
        written = export_snapshots(directory)
    except IncompatibleSnapshots as error:
        return _report_breaking(error.breaking)
    for path in written:
        print(f"wrote {path}")
    return 0


def _breaking_changes(directory: Path) -> dict[str, list[str]]:
    breaking = {}
    for contract in all_contracts():
        path = snapshot_path(directory, contract.event_type())
        if path.exists():
            changes = check_compatibility(_load(path), schema_of(contract))
            if changes:
                breaking[contract.event_type()] = changes
    return breaking


def _stale(directory: Path) -> list[str]:
    return [
        contract.event_type()
        for contract in all_contracts()
        if not _snapshot_matches(snapshot_path(directory, contract.event_type()), contract)
    ]


def _snapshot_matches(path: Path, contract: type[Contract]) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == render(schema_of(contract))


def _orphans(directory: Path) -> list[Path]:
    orphans = []
    for path in sorted(directory.glob("*.json")):
        try:
            contract_for(path.stem)
        except UnknownEventType:
            orphans.append(path)
    return orphans


def _load(path: Path) -> JSONSchema:
    schema: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(schema, dict):
        raise ValueError(f"{path} does not hold a JSON Schema object")
    return schema


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chorus.contracts.snapshots",
        description="Export or check the published JSON Schemas of Chorus events.",
    )
    parser.add_argument("command", choices=["export", "check"])
    parser.add_argument("--directory", type=Path, default=SCHEMA_DIRECTORY)
    return parser


def _report_breaking(breaking: dict[str, list[str]]) -> int:
    for event_type, changes in breaking.items():
        print(f"{event_type} changed incompatibly with its published snapshot:", file=sys.stderr)
        for change in changes:
            print(f"  - {change}", file=sys.stderr)
    print(
        "Published events only change compatibly: publish a new version with an upcaster "
        "from the old one instead. No snapshot was written.",
        file=sys.stderr,
    )
    return 1


def _report_check(problems: list[str]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
