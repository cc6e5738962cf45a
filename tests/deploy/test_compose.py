"""compose.yaml: valid against the Compose specification's schema, and the platform's rules
(healthchecks, start order on health, loopback ports, required variables, named volumes,
service names that the monitoring configuration expects)."""

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import check_jsonschema
import pytest
import yaml

from testbed.tools import REPO, require_binary

COMPOSE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
IMAGE_DOC = REPO / "docs" / "image.md"
# The Compose spec schema that check-jsonschema vendors (compose-spec/compose-spec,
# schema/compose-spec.json). A new check-jsonschema may bring a new schema: then update this
# digest together with docs/image.md, which names the version that was checked.
COMPOSE_SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
REQUIRED_VARIABLES = {"REDIS_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
# Where each stateful service keeps its data: on a named volume, never in the container.
DATA_DIRECTORIES = {
    "redis": "/data",
    "prometheus": "/prometheus",
    "alertmanager": "/alertmanager",
    "grafana": "/var/lib/grafana",
    "loki": "/loki",
    "alloy": "/var/lib/alloy/data",
    "jaeger": "/tmp",  # the image's own volume, where the Badger trace store lives
}
# Created by `make stack` (placeholders, gitignored), so absent from a fresh clone.
GENERATED_BIND_SOURCES = {"./secrets/alertmanager"}
NAMED_VOLUME = re.compile(r"[a-z0-9][a-z0-9_.-]*")  # a path or ${VAR} is a bind mount
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(:?[?-])?")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    tool = require_binary("check-jsonschema", "uv sync (group check)")
    return subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_valid_against_the_compose_spec_schema() -> None:
    result = validate_compose(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_an_invalid_file(tmp_path: Path) -> None:
    broken = yaml.safe_load(COMPOSE.read_text())
    kvapi = broken["services"]["kvapi"]
    kvapi["healthchek"] = kvapi.pop("healthcheck")  # a typo that compose would ignore
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert validate_compose(path).returncode != 0


def test_the_schema_is_the_one_the_docs_name() -> None:
    package = Path(check_jsonschema.__file__).parent
    schema = package / "builtin_schemas" / "vendor" / "compose-spec.json"
    assert hashlib.sha256(schema.read_bytes()).hexdigest() == COMPOSE_SCHEMA_SHA256
    assert COMPOSE_SCHEMA_SHA256 in IMAGE_DOC.read_text()


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name}: no working healthcheck"


def test_start_order_waits_for_health(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on as a list waits for nothing"
        for dependency, condition in depends_on.items():
            assert dependency in services(compose), f"{name}: unknown {dependency}"
            assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    published = 0
    for name, service in services(compose).items():
        for port in service.get("ports", []):
            published += 1
            assert isinstance(port, str), f"{name}: use the short syntax with an address"
            assert port.startswith("127.0.0.1:"), f"{name}: {port} is reachable from outside"
        assert service.get("network_mode") != "host", f"{name}: host network bypasses this"
    assert published >= 4  # kvapi, Grafana, Prometheus, Alertmanager


def test_required_variables_fail_fast_and_none_is_silently_empty() -> None:
    references = INTERPOLATION.findall(COMPOSE.read_text())
    required = {variable for variable, operator in references if operator == ":?"}
    assert required == REQUIRED_VARIABLES
    for variable, operator in references:
        assert operator in {":?", ":-"}, f"${{{variable}}} neither required nor defaulted"


def test_env_example_lists_the_required_variables_with_placeholders() -> None:
    assignments = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if re.match(r"^[A-Z0-9_]+=", line)
    )
    for variable in REQUIRED_VARIABLES:
        assert "change-me" in assignments.get(variable, ""), variable


def test_state_lives_on_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = set()
    for name, service in services(compose).items():
        on_volumes = set()
        for volume in service.get("volumes", []):
            source, _, target = volume.partition(":") if isinstance(volume, str) else ("", "", "")
            if NAMED_VOLUME.fullmatch(source):
                assert source in declared, f"{name}: {source} is not a declared named volume"
                used.add(source)
                on_volumes.add(target.split(":")[0])
        if name in DATA_DIRECTORIES:
            assert DATA_DIRECTORIES[name] in on_volumes, f"{name}: data not on a named volume"
    assert used == declared, f"declared but unused: {declared - used}"


def test_repository_files_are_mounted_read_only_and_exist(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            if isinstance(volume, str) and volume.startswith("./"):
                source, _, mode = volume.split(":")
                assert mode == "ro", f"{name}: {source} mounted writable"
                if source not in GENERATED_BIND_SOURCES:
                    assert (REPO / source).exists(), f"{name}: {source} does not exist"


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        if "build" in service:
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: {image} is not pinned"


def test_redis_is_7_with_aof_and_the_required_password(compose: dict[str, Any]) -> None:
    redis = services(compose)["redis"]
    assert redis["image"].startswith("redis:7.")
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD:?")
    kvapi_url = services(compose)["kvapi"]["environment"]["KVAPI_REDIS_URL"]
    assert kvapi_url.startswith("redis://:${REDIS_PASSWORD:?")


def test_kvapi_runs_as_in_kubernetes(compose: dict[str, Any]) -> None:
    kvapi = services(compose)["kvapi"]
    assert kvapi["build"]["dockerfile"] == "Dockerfile"
    assert kvapi["read_only"] is True
    assert kvapi["tmpfs"] == ["/tmp"]
    assert kvapi["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in kvapi["security_opt"]


def scrape_hosts() -> set[str]:
    targets = REPO / "observability" / "prometheus" / "targets"
    return {
        target.split(":")[0]
        for path in targets.glob("*.json")
        for group in json.loads(path.read_text())
        for target in group["targets"]
    }


def test_prometheus_targets_and_grafana_data_sources_are_compose_services(
    compose: dict[str, Any],
) -> None:
    datasources = yaml.safe_load(
        (REPO / "observability/grafana/provisioning/datasources/datasources.yml").read_text()
    )["datasources"]
    hosts = scrape_hosts() | {
        re.sub(r"^https?://([^:/]+).*", r"\1", source["url"]) for source in datasources
    }
    assert hosts, "no targets found"
    assert hosts <= set(services(compose)), hosts - set(services(compose))
