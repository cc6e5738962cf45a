"""Seams between deploy/terraform and what needs it: the cluster, the workflows, the add-ons.

Every check takes the root of a repository tree (the real one, or a copy in tmp_path with one
seam broken) and returns the problems it finds, so that a test can show both that the real tree
holds together and that the check rejects a tree that does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.terraform_support import Block, Body, blocks, locals_of, module_call, parse

REPOSITORY = "OWNER/REPO"  # stands for var.github_repository on both sides
CI_CREDENTIALS = "aws-actions/configure-aws-credentials@"

# The service accounts that call AWS (ADR 0110): the External Secrets Operator reads the Redis
# secret, Loki uses its bucket, the AWS Load Balancer Controller makes the ALB of the prod
# Ingress. Every other add-on and kvapi itself never call AWS, so they get no role.
AWS_CALLERS = frozenset(
    {
        ("external-secrets", "external-secrets"),
        ("monitoring", "loki"),
        ("kube-system", "aws-load-balancer-controller"),
    }
)

Problems = list[str]


def terraform(root: Path) -> Path:
    return root / "deploy" / "terraform"


def modules(root: Path) -> Path:
    return terraform(root) / "modules"


def real_files(root: Path) -> list[Path]:
    """Every .tf file of the tree once (symlinks into _shared folders are skipped)."""
    return sorted(
        p
        for p in terraform(root).rglob("*.tf")
        if not p.is_symlink() and ".terraform" not in p.parts
    )


def resources_of(root: Path, resource_type: str) -> list[Block]:
    return [
        block
        for directory in sorted({p.parent for p in real_files(root)})
        for block in blocks("resource", directory)
        if block.labels[0] == resource_type
    ]


def environments(root: Path) -> list[str]:
    base = terraform(root) / "environments"
    return sorted(d.name for d in base.iterdir() if d.is_dir() and not d.name.startswith("_"))


def _variable_default(directory: Path, name: str) -> Any:
    found = [b.body for b in blocks("variable", directory) if b.labels == (name,)]
    return found[0].get("default") if found else None


def identities_input(root: Path, env: str, name: str) -> Any:
    """The value modules/identities gets for input `name` in environment `env`: followed from
    modules/platform's call to the environment root's call, else the variable's default."""
    passed = module_call("identities", modules(root) / "platform").get(name)
    if passed is None:
        return _variable_default(modules(root) / "identities", name)
    if isinstance(passed, str) and (ref := re.fullmatch(r"\$\{var\.(\w+)\}", passed)):
        environment_dir = terraform(root) / "environments" / env
        value = module_call("platform", environment_dir).get(ref[1])
        if isinstance(value, str) and (local := re.fullmatch(r"\$\{local\.(\w+)\}", value)):
            return locals_of(environment_dir).get(local[1])
        return value
    if passed == "${local.name}":
        return locals_of(modules(root) / "platform")["name"].replace("${var.environment}", env)
    return passed


def _substitute(text: str, env: str, root: Path) -> str:
    def value(match: re.Match[str]) -> str:
        if match[1] == "github_repository":
            return REPOSITORY
        resolved = identities_input(root, env, match[1])
        return str(resolved) if resolved is not None else match[0]

    return re.sub(r"\$\{var\.(\w+)\}", value, text)


# --- the VPC CNI enforces NetworkPolicies ----------------------------------------------------


def network_policy_problems(root: Path) -> Problems:
    """Every environment builds its cluster through modules/platform -> modules/cluster, whose
    vpc-cni add-on turns on the network policy agent with a literal (no variable can switch it
    off in one environment)."""
    problems = []
    for env in environments(root):
        call = module_call("platform", terraform(root) / "environments" / env)
        if call["source"] != "../../modules/platform":
            problems.append(f"environments/{env} does not build its cluster with modules/platform")
    if module_call("cluster", modules(root) / "platform")["source"] != "../cluster":
        problems.append("modules/platform does not use modules/cluster")
    vpc_cni = module_call("eks", modules(root) / "cluster").get("addons", {}).get("vpc-cni")
    if not isinstance(vpc_cni, dict):
        return [*problems, "modules/cluster installs no vpc-cni add-on"]
    values = str(vpc_cni.get("configuration_values", ""))
    if not re.search(r'enableNetworkPolicy"?\s*[=:]\s*\\?"true\\?"', values):
        problems.append(
            f'vpc-cni configuration_values lack enableNetworkPolicy = "true": {values!r}'
        )
    if "var." in values or "local." in values:
        problems.append(f"vpc-cni configuration_values depend on an input: {values!r}")
    if vpc_cni.get("before_compute") is not True:
        problems.append("vpc-cni must be installed before nodes join (before_compute)")
    return problems


# --- GitHub Actions roles --------------------------------------------------------------------


def ci_roles(root: Path) -> dict[str, set[str]]:
    """Every CI role of every environment by name, with the token subjects it trusts."""
    identities = modules(root) / "identities"
    subjects = locals_of(identities)["github_subjects"]
    [role] = [b.body for b in blocks("resource", identities) if b.labels == ("aws_iam_role", "ci")]
    assert role["for_each"] == "${local.github_subjects}", "one CI role per github_subjects key"
    trust = next(
        b.body
        for b in blocks("data", identities)
        if b.labels == ("aws_iam_policy_document", "github_trust")
    )
    sub = next(
        c
        for c in trust["statement"][0]["condition"]
        if c["variable"] == "token.actions.githubusercontent.com:sub"
    )
    assert (sub["test"], sub["values"]) == ("StringEquals", "${each.value}"), sub
    roles = {}
    for env in environments(root):
        for key, trusted in subjects.items():
            name = _substitute(role["name"].replace("${each.key}", key), env, root)
            roles[name] = {_substitute(s, env, root) for s in trusted}
    return roles


@dataclass(frozen=True)
class Assumption:
    """One workflow step assuming a role, and the token subject its job presents."""

    where: str
    role: str
    subject: str
    environment: str | None


def _expand(text: str, matrix: dict[str, Any]) -> str:
    for key, value in matrix.items():
        text = re.sub(r"\$\{\{\s*matrix\." + key + r"\s*\}\}", str(value), text)
    return text


def _matrices(job: Body) -> list[dict[str, Any]]:
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if not matrix:
        return [{}]
    assert set(matrix) <= {"environment"}, f"only an environment matrix is understood: {matrix}"
    return [{"environment": value} for value in matrix["environment"]]


def _subjects(workflow: Body, job: Body, matrix: dict[str, Any]) -> list[tuple[str, str | None]]:
    environment = job.get("environment")
    if environment:
        name = _expand(
            environment["name"] if isinstance(environment, dict) else environment, matrix
        )
        return [(f"repo:{REPOSITORY}:environment:{name}", name)]
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    events = set(triggers) if isinstance(triggers, dict) else {triggers}
    allowed = set(re.findall(r"github\.event_name == '(\w+)'", str(job.get("if", ""))))
    found = []
    for event in sorted(events & allowed if allowed else events):
        ref = "pull_request" if event == "pull_request" else "ref:refs/heads/main"
        found.append((f"repo:{REPOSITORY}:{ref}", None))
    return found


def assumptions(root: Path) -> Iterator[Assumption]:
    """Every step of every workflow that assumes a role, per matrix entry."""
    for path in sorted((root / ".github" / "workflows").glob("*.yml")):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in workflow["jobs"].items():
            for matrix in _matrices(job):
                for step in job.get("steps", []):
                    if not str(step.get("uses", "")).startswith(CI_CREDENTIALS):
                        continue
                    arn = _expand(str(step.get("with", {}).get("role-to-assume", "")), matrix)
                    role = arn.rpartition(":role/")[2]
                    where = f"{path.name}:{name}{matrix or ''}"
                    for subject, environment in _subjects(workflow, job, matrix):
                        yield Assumption(where, role, subject, environment)


def role_trust_problems(root: Path) -> Problems:
    """Each role a workflow assumes exists and trusts that job's subject; each CI role is
    assumed by some workflow, and each subject it trusts is one a workflow presents."""
    roles = ci_roles(root)
    problems = []
    used: dict[str, set[str]] = {}
    for a in assumptions(root):
        if a.role not in roles:
            problems.append(f"{a.where} assumes {a.role!r}, which Terraform does not create")
        elif a.subject not in roles[a.role]:
            problems.append(f"{a.where}: {a.role} does not trust {a.subject}")
        used.setdefault(a.role, set()).add(a.subject)
    for role, trusted in sorted(roles.items()):
        if role not in used:
            problems.append(f"{role} is assumed by no workflow")
        for subject in sorted(trusted - used.get(role, set())):
            problems.append(f"{role} trusts {subject}, which no workflow job presents")
    return problems


def apply_environment_problems(root: Path) -> Problems:
    """Each environment's apply environment (environment.tf) is where a workflow job assumes that
    environment's apply role, and no such job runs anywhere else."""
    problems = []
    for env in environments(root):
        wanted = locals_of(terraform(root) / "environments" / env).get("github_apply_environment")
        role = f"kvapi-{env}-ci-apply"
        found = {a.environment for a in assumptions(root) if a.role == role}
        if not wanted:
            problems.append(f"environments/{env} names no github_apply_environment")
        elif found != {wanted}:
            problems.append(f"{role} is assumed in GitHub environments {found}, not in {wanted!r}")
    return problems


# --- the partition ---------------------------------------------------------------------------

PROSE = frozenset({"description", "error_message", "__comments__"})
PARTITION = "arn:${data.aws_partition.current.partition}:"


def _values(body: Any, key: str = "") -> Iterator[str]:
    """Every string an HCL body computes with, leaving out prose (descriptions, messages)."""
    if key in PROSE:
        return
    if isinstance(body, dict):
        for inner_key, inner in body.items():
            yield from _values(inner, inner_key)
    elif isinstance(body, list):
        for inner in body:
            yield from _values(inner, key)
    elif isinstance(body, str):
        yield body


def partition_problems(root: Path) -> Problems:
    """No ARN is built with a literal `arn:aws:`; an upstream policy file that says so is read
    only through replace(..., "arn:aws:", <the partition>)."""
    problems = []
    for path in real_files(root):
        for text in _values(parse(path)):
            for call in re.findall(r"file\([^)]*\.json[^)]*\)", text):
                if f'replace({call}, "arn:aws:", "{PARTITION}")' not in text:
                    problems.append(f"{path.name}: {call} not read through the partition")
            stripped = text.replace(f'"arn:aws:", "{PARTITION}"', "")
            if re.search(r"arn:aws:", stripped):
                problems.append(f"{path.relative_to(root)}: hardcoded partition in {text!r}")
    return problems


# --- Pod Identity ----------------------------------------------------------------------------


def pod_identity_associations(root: Path) -> dict[str, tuple[str, str]]:
    """role key -> (namespace, service account) of every Pod Identity association."""
    identities = modules(root) / "identities"
    workloads = locals_of(identities)["workloads"]
    associations = [
        b.body
        for b in blocks("resource", identities)
        if b.labels[0] == "aws_eks_pod_identity_association"
    ]
    assert [a["for_each"] for a in associations] == ["${local.workloads}"], associations
    found = {}
    for key, value in workloads.items():
        account = re.match(r"\$\{merge\(var\.(\w+),", value)
        assert account, f"workload {key}: {value}"
        service = identities_input(root, "prod", account[1])
        found[key] = (service["namespace"], service["service_account"])
    return found


def pod_identity_problems(
    root: Path, callers: frozenset[tuple[str, str]] = AWS_CALLERS
) -> Problems:
    """Every service account that calls AWS has an association, and every Pod Identity role has
    a caller: no role waits for a consumer that never comes."""
    found = pod_identity_associations(root)
    problems = [
        f"{namespace}/{account} calls AWS but has no Pod Identity association"
        for namespace, account in sorted(callers - set(found.values()))
    ]
    problems += [
        f"Pod Identity role {key} is for {namespace}/{account}, which does not call AWS"
        for key, (namespace, account) in sorted(found.items())
        if (namespace, account) not in callers
    ]
    for role in resources_of(root, "aws_iam_role"):
        if role.path.parent.name != "identities" or role.labels[1] not in {"workload", "ci"}:
            problems.append(f"{role.where}: an IAM role outside the Pod Identity and CI sets")
    return problems


# --- what deploy/gitops installs -------------------------------------------------------------

# The chart versions whose controller needs exactly the committed policy: upstream's
# iam_policy.json is byte-identical from v2.13.0 to v2.17.1 (charts 1.13.0 to 1.17.1).
LOAD_BALANCER_CONTROLLER_CHARTS = ((1, 13, 0), (1, 17, 1))


def chart_pins(root: Path) -> list[tuple[str, str, str]]:
    """(file, chart, version) of every chart that deploy/gitops pins, wherever in a document
    a mapping names a `chart` with a `targetRevision` (Argo CD) or `version` (Helm values)."""
    pins = []
    for path in sorted((root / "deploy" / "gitops").rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for node in _mappings(document):
                version = node.get("targetRevision", node.get("version"))
                if isinstance(node.get("chart"), str) and version is not None:
                    pins.append((str(path.relative_to(root)), node["chart"], str(version)))
    return pins


def _mappings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for inner in node.values():
            yield from _mappings(inner)
    elif isinstance(node, list):
        for inner in node:
            yield from _mappings(inner)


def gitops_addon_problems(root: Path) -> Problems:
    """The AWS Load Balancer Controller that Argo CD installs is a version whose IAM policy is
    the one committed; metrics-server, an EKS add-on here, is not installed a second time."""
    low, high = LOAD_BALANCER_CONTROLLER_CHARTS
    problems = []
    for where, chart, version in chart_pins(root):
        if chart == "aws-load-balancer-controller":
            parsed = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
            if not low <= parsed <= high:
                problems.append(
                    f"{where}: aws-load-balancer-controller chart {version} is outside "
                    f"{low}..{high}, whose IAM policy modules/identities commits"
                )
        if chart == "metrics-server":
            problems.append(f"{where}: metrics-server is an EKS add-on (modules/cluster)")
    if "metrics-server" not in module_call("eks", modules(root) / "cluster").get("addons", {}):
        problems.append("modules/cluster no longer installs metrics-server: deploy/gitops must")
    return problems


# --- what Terraform hands to Argo CD and its add-ons -----------------------------------------

ARGO_CD_VALUES = Path("deploy/gitops/argocd/values.yaml")
HEALTH_CHECK = "resource.customizations.health.argoproj.io_Application"


def gitops_module(root: Path) -> Path:
    return modules(root) / "gitops-bootstrap"


def gitops_roots(root: Path) -> list[Path]:
    base = terraform(root) / "gitops"
    return sorted(d for d in base.iterdir() if d.is_dir() and not d.name.startswith("_"))


def argo_cd_release_values(root: Path) -> list[str]:
    [release] = [
        b.body
        for b in blocks("resource", gitops_module(root))
        if b.labels == ("helm_release", "argo_cd")
    ]
    values = release.get("values", [])
    return values[0] if values and isinstance(values[0], list) else values  # hcl2 nests lists


def argo_cd_values_problems(root: Path) -> Problems:
    """The argo-cd release gets deploy/gitops/argocd/values.yaml: the module hands its input
    argo_cd_values to the release first (the module's own document after it only adds keys),
    every gitops root passes file(...) of a path that resolves from that root to the committed
    file, and that file holds the health check the sync waves need and the notifications."""
    problems = []
    values = argo_cd_release_values(root)
    if not values or values[0] != "${var.argo_cd_values}":
        problems.append("helm_release.argo_cd does not get var.argo_cd_values (values.yaml)")
    committed = os.path.normpath(root / ARGO_CD_VALUES)
    for directory in gitops_roots(root):
        passed = str(module_call("gitops_bootstrap", directory).get("argo_cd_values", ""))
        path = re.fullmatch(r'\$\{file\("\$\{path\.root\}/([^"]+)"\)\}', passed)
        if path is None:
            problems.append(f"gitops/{directory.name} does not pass file(...) as argo_cd_values")
        elif os.path.normpath(directory / path[1]) != committed:
            problems.append(f"gitops/{directory.name} passes {path[1]}, not {ARGO_CD_VALUES}")
    config = yaml.safe_load((root / ARGO_CD_VALUES).read_text(encoding="utf-8"))
    if HEALTH_CHECK not in config.get("configs", {}).get("cm", {}):
        problems.append(f"{ARGO_CD_VALUES} lacks {HEALTH_CHECK}: sync waves would not wait")
    if not config.get("notifications", {}).get("triggers"):
        problems.append(f"{ARGO_CD_VALUES} has no notification triggers (CD waits for them)")
    return problems


def terraform_objects(root: Path) -> list[dict[str, Any]]:
    """The objects modules/gitops-bootstrap has the argo-cd chart create (`extraObjects`)."""
    module = gitops_module(root)
    facts = locals_of(module)
    if "extraObjects = local.cluster_facts" not in re.sub(
        r"\s+", " ", str(argo_cd_release_values(root))
    ):
        return []

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, str) and (local := re.fullmatch(r"\$\{local\.(\w+)\}", value)):
            return facts[local[1]]
        return value

    return [resolve(obj) for obj in facts.get("cluster_facts", [])]


def _config_map_refs(values: Any) -> Iterator[str]:
    for node in _mappings(values):
        reference = node.get("configMapRef")
        if isinstance(reference, dict):
            yield reference["name"]


def addon_fact_problems(root: Path, environment: str = "prod") -> Problems:
    """Every ConfigMap an add-on of deploy/gitops reads through envFrom (`configMapRef`) is
    created by Terraform (argo-cd `extraObjects`) in the add-on's namespace, which Terraform
    creates too, with every variable Loki's configuration expands,
    each from an input every gitops root passes; the region the load balancer controller and
    the overlays' SecretStores are given is Terraform's."""
    from tests.deploy.gitops_support import build

    apps = [
        obj
        for obj in build(root / "deploy" / "gitops" / "environments" / environment)
        if obj["kind"] == "Application"
    ]
    objects = terraform_objects(root)
    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    maps = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o.get("data", {})
        for o in objects
        if o["kind"] == "ConfigMap"
    }
    variables = {b.labels[0] for b in blocks("variable", gitops_module(root))}
    passed = [set(module_call("gitops_bootstrap", d)) for d in gitops_roots(root)]
    loki_config = (root / "observability" / "loki" / "loki-s3.yaml").read_text(encoding="utf-8")
    # The region every root is applied in (root-variables.tf, shared by all roots).
    region = _variable_default(gitops_roots(root)[0], "region")
    problems = []
    for app in apps:
        name, namespace = app["metadata"]["name"], app["spec"]["destination"].get("namespace")
        values = app["spec"]["source"].get("helm", {}).get("valuesObject", {})
        for config_map in _config_map_refs(values):
            data = maps.get((namespace, config_map))
            if data is None:
                problems.append(f"{name} reads ConfigMap {namespace}/{config_map}: nobody makes it")
                continue
            if namespace not in namespaces:
                problems.append(f"Terraform writes {namespace}/{config_map} but not its namespace")
            wanted = set(re.findall(r"\$\{(\w+)\}", loki_config)) if name == "loki" else set()
            for key in sorted(wanted - set(data)):
                problems.append(f"{name} expands ${{{key}}}, not in {namespace}/{config_map}")
            for key, value in sorted(data.items()):
                variable = re.fullmatch(r"\$\{var\.(\w+)\}", str(value))
                if variable is None or variable[1] not in variables:
                    problems.append(f"{namespace}/{config_map} {key} = {value}: not an input")
                elif not all(variable[1] in call for call in passed):
                    problems.append(f"{namespace}/{config_map} {key}: a gitops root omits it")
        if name == "aws-load-balancer-controller" and values.get("region") != region:
            problems.append(f"{name}: region {values.get('region')}, Terraform's {region}")
    for path in sorted((root / "deploy" / "k8s" / "components").glob("*/secretstore.yaml")):
        store = yaml.safe_load(path.read_text(encoding="utf-8"))
        if store["spec"]["provider"]["aws"]["region"] != region:
            problems.append(f"{path.relative_to(root)}: region is not Terraform's {region}")
    return problems
