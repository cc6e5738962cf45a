"""Render the dashboards to observability/grafana/dashboards/<uid>.json.

python -m kvapi_dashboards           # rewrite the JSON files (make dashboards)
python -m kvapi_dashboards --check   # exit 1 when a committed file differs from the code
"""

import sys
from pathlib import Path

from . import DASHBOARDS
from .build import render

OUTPUT = Path(__file__).resolve().parent.parent / "dashboards"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for spec in DASHBOARDS:
        path = OUTPUT / f"{spec.uid}.json"
        text = render(spec)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale dashboards (run make dashboards): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


sys.exit(main(sys.argv[1:]))
