"""The telemetry layer's route templates give what starlette's own matching gives, root_path
included (the layer strips it itself rather than import starlette's private helper)."""

from pathlib import Path

import pytest
from starlette.routing import Match

from kvapi.app import create_app, routes_of
from kvapi.middleware.telemetry import UNMATCHED, RouteTemplates
from kvapi.settings import Settings

PATHS = ["/", "/write/k", "/write/", "/v1/keys", "/v1/keys/a", "/v1/keys/a/b", "/healthz", "/x"]
ROOTS = ["", "/api", "/ap"]


def starlette_template(routes: list, scope: dict) -> str:  # type: ignore[type-arg]
    partial = UNMATCHED
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(route.path)
        if match is Match.PARTIAL and partial == UNMATCHED:
            partial = str(route.path)
    return partial


@pytest.mark.parametrize("root", ROOTS)
def test_same_template_as_starlettes_matching(
    root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    routes = routes_of(create_app(Settings(redis_url="redis://127.0.0.1:1/0")))  # never dialled
    templates = RouteTemplates(routes)
    for path in PATHS:
        for method in ("GET", "PUT", "POST"):
            scope = {"type": "http", "method": method, "path": root + path, "root_path": root}
            assert templates(scope) == starlette_template(routes, scope), (method, root + path)
