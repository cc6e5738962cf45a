"""The inputs and outputs tables of every deploy/terraform README, rendered from the code.

`make terraform-docs` rewrites them (python -m tests.deploy.terraform_docs); the tests fail
when a committed table differs from what the variables and outputs say.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.deploy.terraform_support import blocks, module_dirs

BEGIN = "<!-- BEGIN_TF_DOCS (make terraform-docs) -->"
END = "<!-- END_TF_DOCS -->"


def _expression(value: Any) -> str:
    """An HCL value as written: strip hcl2's ${...} wrapper, keep literals as JSON."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return json.dumps(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_tables(directory: Path) -> str:
    lines = ["## Inputs", ""]
    variables = sorted(blocks("variable", directory), key=lambda b: b.labels)
    if variables:
        lines += ["| Name | Description | Type | Default | Required |", "|---|---|---|---|---|"]
    for var in variables:
        has_default = "default" in var.body
        default = f"`{_cell(_expression(var.body['default']))}`" if has_default else "n/a"
        type_ = _cell(_expression(var.body.get("type", "any")).strip('"'))
        lines.append(
            f"| `{var.labels[0]}` | {_cell(var.body.get('description', ''))} | `{type_}` "
            f"| {default} | {'no' if has_default else 'yes'} |"
        )
    if not variables:
        lines.append("None.")
    lines += ["", "## Outputs", ""]
    outputs = sorted(blocks("output", directory), key=lambda b: b.labels)
    if outputs:
        lines += ["| Name | Description |", "|---|---|"]
    for out in outputs:
        lines.append(f"| `{out.labels[0]}` | {_cell(out.body.get('description', ''))} |")
    if not outputs:
        lines.append("None.")
    return "\n".join([BEGIN, *lines, END])


def readme_with_tables(readme: Path) -> str:
    """The README text with its generated section replaced by the current rendering."""
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme}: add the lines {BEGIN} and {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + render_tables(readme.parent) + tail


def main() -> int:
    for directory in module_dirs():
        readme = directory / "README.md"
        readme.write_text(readme_with_tables(readme), encoding="utf-8")
        print(f"wrote {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
