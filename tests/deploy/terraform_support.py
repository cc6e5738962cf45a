"""Reading deploy/terraform for the Terraform checks: every .tf file parsed once with python-hcl2.

Environments share most of their files through symlinks into environments/_shared, so a file
is parsed per real path and then looked up per directory (a root module sees its symlinks).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

from testbed.tools import REPO

TERRAFORM = REPO / "deploy" / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = ("dev", "staging", "prod")
BOOTSTRAP = TERRAFORM / "bootstrap"
OPTIONS = SerializationOptions(strip_string_quotes=True)

Body = dict[str, Any]


@dataclass(frozen=True)
class Block:
    """One labelled block, e.g. resource "aws_kms_key" "this" -> kind=resource, labels=(...)."""

    path: Path
    kind: str
    labels: tuple[str, ...]
    body: Body

    @property
    def where(self) -> str:
        # Relative to the real tree, or the full path for a copy (tests' broken seams).
        place = (
            self.path.relative_to(TERRAFORM) if self.path.is_relative_to(TERRAFORM) else self.path
        )
        return f"{place}: {self.kind} {'.'.join(self.labels)}"


def tf_files() -> list[Path]:
    """Every .tf file as the directories see it (symlinks included), outside .terraform/."""
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def real_tf_files() -> list[Path]:
    """Every distinct .tf file (each symlink target once)."""
    return sorted({p.resolve() for p in tf_files()})


@functools.cache
def parse(path: Path) -> Body:
    with path.resolve().open(encoding="utf-8") as handle:
        parsed: Body = hcl2.load(handle, serialization_options=OPTIONS)
    return parsed


def module_dirs() -> list[Path]:
    """Every directory holding Terraform: modules, environments, bootstrap."""
    return sorted({p.parent for p in tf_files() if p.parent.name != "_shared"})


def environment_dir(name: str) -> Path:
    return TERRAFORM / "environments" / name


def _labelled(kind: str, entry: Body, depth: int) -> Iterator[tuple[tuple[str, ...], Body]]:
    """Unwrap hcl2's nesting of block labels: {"type": {"name": {...body}}}."""
    if depth == 0:
        yield (), entry
        return
    for label, inner in entry.items():
        if label == "__is_block__":
            continue
        for labels, body in _labelled(kind, inner, depth - 1):
            yield (label, *labels), body


LABEL_DEPTH = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def blocks(kind: str, directory: Path | None = None) -> list[Block]:
    """Blocks of one kind in one directory, or in all of deploy/terraform (real files once)."""
    paths = sorted(directory.glob("*.tf")) if directory else real_tf_files()
    found = []
    for path in paths:
        for entry in parse(path).get(kind, []):
            for labels, body in _labelled(kind, entry, LABEL_DEPTH.get(kind, 0)):
                found.append(Block(path, kind, labels, body))
    return found


def resources(resource_type: str) -> list[Block]:
    return [b for b in blocks("resource") if b.labels[0] == resource_type]


def one_resource(resource_type: str) -> Block:
    found = resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {[b.where for b in found]}"
    return found[0]


def module_call(name: str, directory: Path) -> Body:
    calls = [b.body for b in blocks("module", directory) if b.labels == (name,)]
    assert len(calls) == 1, f"module {name} not called once in {directory}"
    return calls[0]


def locals_of(directory: Path) -> Body:
    merged: Body = {}
    for path in sorted(directory.glob("*.tf")):
        for entry in parse(path).get("locals", []):
            merged.update({k: v for k, v in entry.items() if k != "__is_block__"})
    return merged


def terraform_settings(directory: Path) -> list[Body]:
    """The `terraform { ... }` blocks of a directory."""
    return [
        entry
        for path in sorted(directory.glob("*.tf"))
        for entry in parse(path).get("terraform", [])
    ]


def walk(value: Any) -> Iterator[Any]:
    """Every nested value of a parsed body (dicts, lists, scalars)."""
    yield value
    if isinstance(value, dict):
        for inner in value.values():
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)
