"""Terraform, the Lambda code and the SDK agree on the names they share.

Terraform cannot import Python, so this test reads the constants of
clickstream.contract.layout (and the code that consumes them) and the .tf files
(parsed with python-hcl2) and fails as soon as one side drifts: route key, CORS origin
wiring, bucket name pattern, partition layout, schedule, handlers, environment
variables, metric names, secrets handling and package paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from clickstream.contract import layout

REPO_ROOT = Path(__file__).resolve().parents[2]
TF = REPO_ROOT / "terraform"
MODULES = TF / "modules"
ENVS = sorted(p for p in (TF / "envs").iterdir() if p.is_dir())
# The one module that wires the capability modules together; each env root calls it.
PLATFORM = MODULES / "platform"
LAMBDAS = REPO_ROOT / "lambdas"

# Variables a function may read beyond its contract in layout.py (observability.py).
OBSERVABILITY_ENVIRONMENT = {"LOG_LEVEL", "METRICS_NAMESPACE"}


# --- helpers -------------------------------------------------------------------


def unquote(value: Any) -> Any:
    """python-hcl2 8 keeps the quotes of string literals and ${} around expressions."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def expression(value: Any) -> str:
    text = str(unquote(value))
    match = re.fullmatch(r"\$\{(.*)\}", text, flags=re.S)
    return match.group(1).strip() if match else text


@cache
def configuration(directory: Path) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as handle:
            for kind, items in hcl2.load(handle).items():
                merged.setdefault(kind, []).extend(items)
    return merged


def resources(directory: Path, rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in configuration(directory).get("resource", []):
        for key, body in item.items():
            if unquote(key) == rtype:
                found.update({unquote(name): spec for name, spec in body.items()})
    return found


def resource(directory: Path, rtype: str, name: str) -> dict[str, Any]:
    found = resources(directory, rtype)
    assert name in found, f"{rtype}.{name} not found in {directory.relative_to(REPO_ROOT)}"
    return found[name]


def locals_of(directory: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for item in configuration(directory).get("locals", []):
        merged.update({unquote(k): v for k, v in item.items()})
    return merged


def variable_default(directory: Path, name: str) -> Any:
    for item in configuration(directory).get("variable", []):
        for key, spec in item.items():
            if unquote(key) == name:
                return unquote(spec.get("default"))
    raise AssertionError(f"variable {name} not declared in {directory.relative_to(REPO_ROOT)}")


def module_call(directory: Path, name: str) -> dict[str, Any]:
    for item in configuration(directory).get("module", []):
        for key, spec in item.items():
            if unquote(key) == name:
                return spec
    raise AssertionError(f"module {name} not called in {directory.relative_to(REPO_ROOT)}")


def single(block: Any) -> dict[str, Any]:
    """A nested block: python-hcl2 returns a list of one dict."""
    if isinstance(block, list):
        assert len(block) == 1, block
        return dict(block[0])
    return dict(block)


def data_sources(directory: Path, dtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in configuration(directory).get("data", []):
        for key, body in item.items():
            if unquote(key) == dtype:
                found.update({unquote(name): spec for name, spec in body.items()})
    return found


def policy_statements(directory: Path, name: str) -> list[dict[str, Any]]:
    """The statements of data.aws_iam_policy_document.<name>, actions and resources as
    plain strings (literals unquoted, references as their expression)."""
    document = data_sources(directory, "aws_iam_policy_document")
    assert name in document, f"policy document {name} not in {directory.relative_to(REPO_ROOT)}"
    statements = document[name]["statement"]
    return [
        {
            "sid": unquote(statement.get("sid", "")),
            "effect": unquote(statement.get("effect", "Allow")),
            "actions": sorted(unquote(a) for a in statement["actions"]),
            "resources": sorted(expression(r) for r in statement["resources"]),
        }
        for statement in (statements if isinstance(statements, list) else [statements])
    ]


def lambda_environment(function: dict[str, Any]) -> dict[str, str]:
    variables = single(function["environment"])["variables"]
    return {unquote(k): expression(v) for k, v in variables.items()}


def python_sources() -> Iterator[Path]:
    yield from (LAMBDAS / "clickstream").rglob("*.py")


# --- ingest route and CORS ---------------------------------------------------------


def test_ingest_route_key_matches_layout() -> None:
    ingest = MODULES / "ingest"
    assert unquote(locals_of(ingest)["route_key"]) == layout.INGEST_ROUTE_KEY
    route = resource(ingest, "aws_apigatewayv2_route", "this")
    assert expression(route["route_key"]) == "local.route_key"
    permission = resource(ingest, "aws_lambda_permission", "api")
    assert expression(permission["source_arn"]).endswith(
        f"/*/{layout.INGEST_METHOD}{layout.INGEST_PATH}"
    )


def test_ingest_route_has_no_authorizer_by_design() -> None:
    route = resource(MODULES / "ingest", "aws_apigatewayv2_route", "this")
    assert unquote(route["authorization_type"]) == "NONE"
    assert "authorizer_id" not in route
    assert resources(MODULES / "ingest", "aws_apigatewayv2_authorizer") == {}


def test_sdk_posts_to_the_route_cloudfront_forwards() -> None:
    transport = (REPO_ROOT / "sdk" / "src" / "transport.ts").read_text()
    match = re.search(r"INGEST_PATH\s*=\s*'([^']+)'", transport)
    assert match, "sdk/src/transport.ts no longer exports INGEST_PATH"
    assert match.group(1) == layout.INGEST_PATH
    pattern = str(variable_default(MODULES / "site", "api_path_pattern"))
    assert layout.INGEST_PATH.startswith(pattern.rstrip("*")), (pattern, layout.INGEST_PATH)


def test_cors_and_allowed_origins_come_from_one_list() -> None:
    ingest = MODULES / "ingest"
    api = resource(ingest, "aws_apigatewayv2_api", "this")
    cors = single(api["cors_configuration"])
    assert expression(cors["allow_origins"]) == "var.allowed_origins"
    env = lambda_environment(resource(ingest, "aws_lambda_function", "this"))
    assert env["ALLOWED_ORIGINS"] == 'join(",", var.allowed_origins)'
    assert expression(module_call(PLATFORM, "ingest")["allowed_origins"]) == "local.site_origins"
    assert expression(module_call(PLATFORM, "auth")["site_urls"]) == "local.site_origins"
    origins = expression(locals_of(PLATFORM)["site_origins"])
    assert "var.site_domain" in origins, origins
    for env_root in ENVS:
        platform = module_call(env_root, "platform")
        assert expression(platform["site_domain"]) == "var.site_domain", env_root.name
        assert expression(platform["extra_allowed_origins"]) == "var.extra_allowed_origins"


def test_cors_headers_match_the_local_gateway_and_sdk() -> None:
    from clickstream.local.api_gateway import CORS_ALLOW_HEADERS, CORS_MAX_AGE_S

    ingest = MODULES / "ingest"
    terraform_headers = [unquote(h) for h in locals_of(ingest)["cors_allow_headers"]]
    local_headers = [h.strip() for h in CORS_ALLOW_HEADERS.split(",")]
    assert sorted(terraform_headers) == sorted(local_headers)
    cors = single(resource(ingest, "aws_apigatewayv2_api", "this")["cors_configuration"])
    assert int(cors["max_age"]) == int(CORS_MAX_AGE_S)
    # The browser SDK sets no header at all (credentials ride in its text/plain envelope), so
    # its requests are CORS-simple and need no preflight; the allowed headers serve callers
    # that send x-api-key / Authorization (servers, the simulator, other SDKs).
    transport = (REPO_ROOT / "sdk" / "src" / "transport.ts").read_text()
    fetch_call = transport[transport.index("fetch(url") :].split(")", 1)[0]
    assert "headers" not in fetch_call, fetch_call
    assert "x-api-key" in terraform_headers and "authorization" in terraform_headers


# --- raw bucket name and partition layout --------------------------------------------


def raw_bucket_name(project: str, environment: str, account_id: str) -> str:
    expr = str(unquote(locals_of(MODULES / "raw_store")["bucket_name"]))
    return expr.replace("${var.name}", f"{project}-{environment}").replace(
        "${data.aws_caller_identity.current.account_id}", account_id
    )


@pytest.mark.parametrize("env_root", ENVS, ids=lambda p: p.name)
def test_raw_bucket_name_matches_layout_pattern(env_root: Path) -> None:
    platform = module_call(env_root, "platform")
    assert expression(platform["project"]) == "var.project"
    assert expression(platform["environment"]) == "local.environment"
    project = str(variable_default(env_root, "project"))
    environment = str(unquote(locals_of(env_root)["environment"]))
    assert environment == env_root.name
    name = raw_bucket_name(project, environment, "123456789012")
    assert "${" not in name, f"unexpected interpolation left in {name}"
    assert re.fullmatch(layout.RAW_BUCKET_NAME_PATTERN, name), name
    assert unquote(locals_of(PLATFORM)["name"]) == "${var.project}-${var.environment}"
    assert expression(module_call(PLATFORM, "raw_store")["name"]) == "local.name"


def test_raw_bucket_name_pattern_in_terraform_test_is_layouts() -> None:
    tftest = (MODULES / "raw_store" / "tests" / "raw_store.tftest.hcl").read_text()
    hcl_pattern = layout.RAW_BUCKET_NAME_PATTERN.replace("\\", "\\\\")
    assert f'regex("{hcl_pattern}"' in tftest


def test_raw_store_name_validation_accepts_only_layout_environments() -> None:
    validation = single(
        next(
            spec
            for item in configuration(MODULES / "raw_store")["variable"]
            for key, spec in item.items()
            if unquote(key) == "name"
        )["validation"]
    )
    environments = re.search(r"\(([a-z|]+)\)\$", str(validation["condition"]))
    layout_envs = re.search(r"\(([a-z|]+)\)-raw", layout.RAW_BUCKET_NAME_PATTERN)
    assert environments and layout_envs
    assert environments.group(1) == layout_envs.group(1)


def partition_fields() -> list[tuple[str, int]]:
    return [
        (name, int(width))
        for name, width in re.findall(r"(\w+)=\{\w+:0?(\d+)d\}", layout.RAW_PARTITION_FORMAT)
    ]


def test_iam_prefixes_follow_partition_layout() -> None:
    glob = re.sub(r"\{\w+:\d+d\}", "*", layout.RAW_PARTITION_FORMAT)
    raw_store = MODULES / "raw_store"
    assert unquote(locals_of(raw_store)["partition_glob"]) == glob
    iam = (raw_store / "iam.tf").read_text()
    assert f"${{local.partition_glob}}{layout.RAW_OBJECT_PREFIX}*" in iam
    assert f"${{local.partition_glob}}{layout.COMPACTED_OBJECT_PREFIX}*" in iam
    # No policy may grant the whole bucket's objects.
    assert '"${aws_s3_bucket.raw.arn}/*"' not in iam


def test_lake_projection_follows_partition_layout() -> None:
    lake = MODULES / "lake"
    template = str(unquote(locals_of(lake)["partition_template"])).replace("$${", "${")
    expected = re.sub(r"\{(\w+):\d+d\}", r"${\1}", layout.RAW_PARTITION_FORMAT)
    assert template == expected
    table = resource(lake, "aws_glue_catalog_table", "raw_events")
    parameters = {unquote(k): str(unquote(v)) for k, v in table["parameters"].items()}
    assert parameters["storage.location.template"].endswith("/${local.partition_template}")
    keys = [unquote(single(k)["name"]) for k in table["partition_keys"]]
    assert keys == [name for name, _ in partition_fields()]
    for name, width in partition_fields():
        assert parameters[f"projection.{name}.type"] == "integer"
        assert int(parameters[f"projection.{name}.digits"]) == width


# --- schedule, handlers, environment ---------------------------------------------------


def test_schedule_default_matches_layout() -> None:
    assert (
        variable_default(MODULES / "etl", "schedule_expression") == layout.ETL_SCHEDULE_EXPRESSION
    )
    assert variable_default(PLATFORM, "etl_schedule_expression") == layout.ETL_SCHEDULE_EXPRESSION
    prod = module_call(TF / "envs" / "prod", "platform")
    assert "etl_schedule_expression" not in prod, "prod must run at the layout's schedule"
    schedule = resource(MODULES / "etl", "aws_scheduler_schedule", "etl")
    assert expression(schedule["schedule_expression"]) == "var.schedule_expression"


@pytest.mark.parametrize(
    ("module", "function", "handler"),
    [
        ("ingest", "this", layout.INGEST_HANDLER),
        ("etl", "etl", layout.ETL_HANDLER),
        ("etl", "compact", layout.COMPACT_HANDLER),
    ],
)
def test_handlers_match_layout_and_exist(module: str, function: str, handler: str) -> None:
    spec = resource(MODULES / module, "aws_lambda_function", function)
    assert unquote(spec["handler"]) == handler
    script = (REPO_ROOT / "scripts" / "package-lambdas.sh").read_text()
    built_for = re.search(r'LAMBDA_PYTHON_VERSION="([0-9.]+)"', script)
    assert built_for, "scripts/package-lambdas.sh no longer names the Python it builds for"
    assert unquote(spec["runtime"]) == f"python{built_for.group(1)}"
    assert [unquote(a) for a in spec["architectures"]] == ["arm64"]
    module_path, _, attribute = handler.rpartition(".")
    source = LAMBDAS / (module_path.replace(".", "/") + ".py")
    assert source.exists(), f"{handler}: {source} does not exist"
    assert re.search(rf"^def {attribute}\(", source.read_text(), flags=re.M), handler


@pytest.mark.parametrize(
    ("module", "function", "contract"),
    [
        ("ingest", "this", layout.INGEST_ENVIRONMENT),
        ("etl", "etl", layout.ETL_ENVIRONMENT),
        ("etl", "compact", layout.COMPACT_ENVIRONMENT),
    ],
)
def test_environment_variable_names_match_layout(
    module: str, function: str, contract: tuple[str, ...]
) -> None:
    assert len(set(contract)) == len(contract), "a variable listed twice in layout.py"
    names = set(lambda_environment(resource(MODULES / module, "aws_lambda_function", function)))
    assert set(contract) <= names, f"missing: {set(contract) - names}"
    assert names - set(contract) <= OBSERVABILITY_ENVIRONMENT, names - set(contract)


def test_secret_parameters_are_wired_by_name() -> None:
    ingest_env = lambda_environment(resource(MODULES / "ingest", "aws_lambda_function", "this"))
    assert ingest_env["SITE_KEYS_PARAM"] == "var.site_keys_parameter_name"
    assert ingest_env["PII_HASH_KEY_PARAM"] == "var.pii_hash_key_parameter_name"
    etl_env = lambda_environment(resource(MODULES / "etl", "aws_lambda_function", "etl"))
    assert etl_env["DATABASE_URL_PARAM"] == "var.database_url_parameter_name"
    ingest = module_call(PLATFORM, "ingest")
    assert (
        expression(ingest["site_keys_parameter_name"]) == "module.secrets.site_keys_parameter_name"
    )
    assert (
        expression(ingest["pii_hash_key_parameter_name"])
        == "module.secrets.pii_hash_key_parameter_name"
    )
    etl = module_call(PLATFORM, "etl")
    assert (
        expression(etl["database_url_parameter_name"])
        == "module.secrets.database_url_parameter_name"
    )
    assert expression(etl["sns_topic_arn"]) == "module.monitoring.sns_topic_arn"


# The one generated secret Terraform must know: CloudFront's configuration holds the
# x-origin-verify value in plain text, so it cannot be write-only (modules/secrets).
SECRETS_IN_CLOUDFRONT_CONFIG = {"origin_verify"}


def test_generated_secrets_never_enter_state() -> None:
    parameters = resources(MODULES / "secrets", "aws_ssm_parameter")
    assert parameters, "no SSM parameters in modules/secrets"
    for name in SECRETS_IN_CLOUDFRONT_CONFIG:
        spec = parameters.pop(name)
        assert unquote(spec["type"]) == "SecureString", name
        assert expression(spec["value"]).startswith("data.aws_secretsmanager_random_password."), (
            f"{name} must be generated, never written in a .tf file"
        )
        # Generated once: the data source draws a new value on every plan.
        lifecycle = single(spec["lifecycle"])
        assert [unquote(v) for v in lifecycle["ignore_changes"]] == ["value"], name
    for name, spec in parameters.items():
        assert unquote(spec["type"]) == "SecureString", name
        assert "value" not in spec, f"{name} writes its secret through `value`, which state keeps"
        assert "value_wo" in spec and "value_wo_version" in spec, name
        assert expression(spec["value_wo"]).count("ephemeral.") >= 1, name
    for tf in TF.rglob("*.tf"):
        assert not re.search(r"(?i)password\s*=\s*\"[^\"$]", tf.read_text()), tf


def test_database_roles_match_the_bootstrap_code() -> None:
    from clickstream.etl import roles

    role_passwords = {
        unquote(k): unquote(v) for k, v in locals_of(MODULES / "secrets")["role_passwords"].items()
    }
    assert role_passwords == {
        "owner": roles.OWNER_ROLE,
        "etl": roles.ETL_ROLE,
        "reader": roles.READER_ROLE,
    }
    assert variable_default(MODULES / "secrets", "database_name") == roles.DEFAULT_DATABASE


# --- metrics ------------------------------------------------------------------------------


def published_metrics() -> set[str]:
    """Every metric name a Lambda publishes: every invocation (add_metric) or only when
    non-zero (observability.add_count_when_nonzero)."""
    names: set[str] = set()
    for source in python_sources():
        text = source.read_text()
        names.update(re.findall(r"add_metric\(\s*name=\"(\w+)\"", text))
        names.update(re.findall(r"add_count_when_nonzero\(\s*\w+,\s*\"(\w+)\"", text))
    return names


def custom_metric_alarms() -> Iterator[tuple[str, str, str]]:
    """(alarm, metric name, treat_missing_data) of every alarm in the modules on a metric
    of the Lambdas' namespace; a for_each alarm over a local map yields each entry, with
    the entry's own treat_missing_data when the resource reads it from the map."""
    for module in sorted(p for p in MODULES.iterdir() if p.is_dir()):
        for name, spec in resources(module, "aws_cloudwatch_metric_alarm").items():
            treat = expression(spec.get("treat_missing_data", "missing"))
            if expression(spec.get("metric_name", "")) == "each.value.metric_name":
                source = re.search(r"local\.(\w+)", expression(spec["for_each"]))
                assert source, f"{module.name}: cannot tell what {name} iterates over"
                entries = locals_of(module)[source.group(1)]
                if isinstance(entries, str):
                    # A group of the shared definitions file (monitoring's
                    # alarm_definitions.json: occurrence, queue, health) as alarms.tf
                    # resolves it, where the namespace "custom" stands for
                    # var.metrics_namespace.
                    match = re.search(r"local\.resolved_alarms\.(\w+)", entries)
                    assert match, f"{name}: {entries[:80]}"
                    assert "local.definitions[" in expression(locals_of(module)["resolved_alarms"])
                    group = match.group(1)
                    document = json.loads((module / "alarm_definitions.json").read_text())
                    for key, spec_entry in document[group].items():
                        if spec_entry["namespace"] == "custom":
                            entry_treat = (
                                spec_entry["treat_missing_data"]
                                if treat == "each.value.treat_missing_data"
                                else treat
                            )
                            yield f"{name}[{key}]", spec_entry["metric_name"], entry_treat
                    continue
                for key, entry in entries.items():
                    if expression(entry["namespace"]) != "var.metrics_namespace":
                        continue
                    entry_treat = (
                        unquote(entry.get("treat_missing_data", "missing"))
                        if treat == "each.value.treat_missing_data"
                        else treat
                    )
                    yield f"{name}[{key}]", unquote(entry["metric_name"]), entry_treat
            elif expression(spec.get("namespace", "")) == "var.metrics_namespace":
                yield name, unquote(spec["metric_name"]), treat


def test_custom_metric_alarms_watch_metrics_the_code_publishes() -> None:
    from clickstream.observability import METRICS_NAMESPACE

    monitoring = MODULES / "monitoring"
    assert variable_default(monitoring, "metrics_namespace") == METRICS_NAMESPACE
    alarms = list(resources(monitoring, "aws_cloudwatch_metric_alarm").values())
    # Same-shaped alarms are one for_each resource over a local map: check its entries.
    occurrence = resource(monitoring, "aws_cloudwatch_metric_alarm", "occurrence")
    # The lean profile's essential set filters the same map.
    assert expression(occurrence["for_each"]).startswith("{for k, v in local.occurrence_alarms :")
    assert expression(occurrence["namespace"]) == "each.value.namespace"
    assert expression(occurrence["metric_name"]) == "each.value.metric_name"
    watched = {
        unquote(spec["metric_name"])
        for spec in alarms
        if expression(spec["namespace"]) == "var.metrics_namespace"
    }
    # The occurrence map comes from the shared definitions file (namespace "custom").
    assert "jsondecode(file(" in expression(locals_of(monitoring)["definitions"])
    definitions = json.loads((monitoring / "alarm_definitions.json").read_text())
    watched |= {
        spec["metric_name"]
        for group in ("occurrence", "queue", "health")
        for spec in definitions[group].values()
        if spec["namespace"] == "custom"
    }
    assert {"DataFreshnessMinutes", "EtlFailed", "StorageFailures"} <= watched
    missing = watched - published_metrics()
    assert not missing, f"alarms watch metrics no Lambda publishes: {sorted(missing)}"


def test_alarms_on_sparse_metrics_treat_missing_data_as_not_breaching() -> None:
    """A sparse metric (observability.SPARSE_METRICS) is sent only when non-zero, so no
    data is the healthy state: its alarm must not fire on it. The freshness metric is the
    opposite: sent after every good run, its absence is the alarm."""
    from clickstream.observability import SPARSE_METRICS

    alarms = list(custom_metric_alarms())
    on_sparse = {alarm: treat for alarm, metric, treat in alarms if metric in SPARSE_METRICS}
    # The test sees the alarms it must: the storage, ETL and quarantine counters.
    watched = {metric for _, metric, _ in alarms}
    assert {"StorageFailures", "EtlFailed", "QuarantinedObjects"} <= watched & set(SPARSE_METRICS)
    wrong = {alarm: treat for alarm, treat in on_sparse.items() if treat != "notBreaching"}
    assert not wrong, f"alarms on sparse metrics must treat missing data as notBreaching: {wrong}"
    assert "DataFreshnessMinutes" not in SPARSE_METRICS
    freshness = [treat for _, metric, treat in alarms if metric == "DataFreshnessMinutes"]
    assert freshness == ["breaching"]


def test_sparse_metrics_are_published_only_through_the_helper() -> None:
    """Every SPARSE_METRICS name is published, and only by add_count_when_nonzero: a plain
    add_metric would send its zeros every invocation and bill it as a full metric."""
    from clickstream.observability import SPARSE_METRICS

    assert len(set(SPARSE_METRICS)) == len(SPARSE_METRICS)
    always: set[str] = set()
    sparse: set[str] = set()
    for source in python_sources():
        text = source.read_text()
        always.update(re.findall(r"add_metric\(\s*name=\"(\w+)\"", text))
        sparse.update(re.findall(r"add_count_when_nonzero\(\s*\w+,\s*\"(\w+)\"", text))
    assert sparse == set(SPARSE_METRICS)
    assert not always & sparse
    assert {"EventsAccepted", "EtlRowsInserted", "DataFreshnessMinutes"} <= always


# --- environments ----------------------------------------------------------------------


def test_prod_runs_at_the_platform_defaults_and_dev_only_cheaper() -> None:
    wiring = {
        "source",
        "web_acl_arn",
        "edge_auth_lambda_qualified_arn",
        "project",
        "environment",
        "tags",
    }
    operator_inputs = wiring | {
        unquote(key) for item in configuration(ENVS[0]).get("variable", []) for key in item
    }
    prod = {k for k in module_call(TF / "envs" / "prod", "platform") if not k.startswith("__")}
    assert prod <= operator_inputs, f"prod overrides {prod - operator_inputs}"
    dev = module_call(TF / "envs" / "dev", "platform")
    sizing = {
        name: value
        for name, value in dev.items()
        if name not in operator_inputs and not name.startswith("__")
    }
    assert sizing, "envs/dev no longer sets its cheaper sizing"
    assert sizing.pop("force_destroy") is True
    assert unquote(sizing.pop("vpc_cidr")) != variable_default(PLATFORM, "vpc_cidr")
    # Fewer, smaller, shorter. Alarming later on freshness is the one "larger" number.
    assert sizing.pop("freshness_threshold_minutes") >= variable_default(
        PLATFORM, "freshness_threshold_minutes"
    )
    for name, value in sizing.items():
        assert value < variable_default(PLATFORM, name), (name, value)
    for env_root in ENVS:
        providers = module_call(env_root, "edge_waf")["providers"]
        assert {expression(k): expression(v) for k, v in providers.items()} == {
            "aws": "aws.us_east_1"
        }
        web_acl = module_call(env_root, "platform")["web_acl_arn"]
        assert expression(web_acl) == "module.edge_waf.wafv2_web_acl_arn"
        edge = module_call(env_root, "edge_auth")
        assert {expression(k): expression(v) for k, v in edge["providers"].items()} == {
            "aws": "aws.us_east_1"
        }
        assert expression(module_call(env_root, "platform")["edge_auth_lambda_qualified_arn"]) == (
            "module.edge_auth.lambda_function_qualified_arn"
        )


# --- packaging ------------------------------------------------------------------------------


def test_package_paths_are_what_the_package_script_builds() -> None:
    script = (REPO_ROOT / "scripts" / "package-lambdas.sh").read_text()
    ingest_path = expression(module_call(PLATFORM, "ingest")["package_path"])
    etl_path = expression(module_call(PLATFORM, "etl")["package_path"])
    assert ingest_path.endswith("/ingest.zip") and etl_path.endswith("/etl.zip")
    # modules/platform sits as deep as envs/<env> did: ../../../build is the repo's build/.
    assert "${path.module}/../../../build" == unquote(locals_of(PLATFORM)["package_dir"])
    assert (PLATFORM / "../../../build").resolve() == REPO_ROOT / "build"
    assert "build/ingest.zip" in script or '"$BUILD/ingest.zip"' in script
    assert "etl.zip" in script
    assert "manylinux2014_aarch64" in script and "--only-binary=:all:" in script


# --- issue 8: parking queue, compactor, origin verification, edge logs ------------------


def test_parked_batches_and_rejected_events_have_their_own_queues() -> None:
    ingest = MODULES / "ingest"
    env = lambda_environment(resource(ingest, "aws_lambda_function", "this"))
    assert env["DLQ_URL"] == "aws_sqs_queue.dlq.url"
    assert env["PARKING_QUEUE_URL"] == "aws_sqs_queue.parking.url"
    queues = resources(ingest, "aws_sqs_queue")
    assert set(queues) == {"dlq", "parking"}
    for name, queue in queues.items():
        assert queue["sqs_managed_sse_enabled"] is True, f"{name} queue must be encrypted"
        assert int(queue["message_retention_seconds"]) == 14 * 24 * 3600, name
    assert unquote(queues["parking"]["name"]).endswith("-ingest-parking")
    # Send only, to exactly these two queues; no statement grants any other SQS action.
    sqs = [
        st
        for st in policy_statements(ingest, "this")
        if any(a.startswith("sqs:") for a in st["actions"])
    ]
    assert sqs == [
        {
            "sid": sqs[0]["sid"],
            "effect": "Allow",
            "actions": ["sqs:SendMessage"],
            "resources": ["aws_sqs_queue.dlq.arn", "aws_sqs_queue.parking.arn"],
        }
    ]
    # Both queues refuse plain HTTP.
    for name in ("dlq", "parking"):
        policy = resource(ingest, "aws_sqs_queue_policy", name)
        assert expression(policy["queue_url"]) == f"aws_sqs_queue.{name}.id"
        assert expression(policy["policy"]) == (
            f'data.aws_iam_policy_document.queue_tls_only["{name}"].json'
        )


def test_parking_queue_depth_alarms_to_the_alert_topic() -> None:
    monitoring = MODULES / "monitoring"
    alarm = resource(monitoring, "aws_cloudwatch_metric_alarm", "dlq_depth")
    assert expression(alarm["for_each"]).startswith("{for k, v in local.queue_alarms :")
    queues = json.loads((monitoring / "alarm_definitions.json").read_text())["queue"]
    # Parked batches are data at risk: their alarm is in the lean profile's set too.
    assert [unquote(q) for q in locals_of(monitoring)["essential_queues"]] == ["parking"]
    assert {"ingest", "parking", "schedule"} <= set(queues)
    assert queues["parking"]["dimensions"]["QueueName"] == "var.ingest_parking_queue_name"
    assert queues["ingest"]["dimensions"]["QueueName"] == "var.ingest_dlq_name"
    assert queues["parking"]["alarm_name"] != queues["ingest"]["alarm_name"]
    assert {q["threshold"] for q in queues.values()} == {0}
    assert {q["comparison_operator"] for q in queues.values()} == {"GreaterThanThreshold"}
    assert expression(alarm["threshold"]) == "each.value.threshold"
    assert expression(alarm["alarm_actions"]) == "local.alarm_actions"
    call = module_call(PLATFORM, "monitoring")
    assert expression(call["ingest_parking_queue_name"]) == "module.ingest.sqs_queue_parking_name"
    assert expression(call["ingest_dlq_name"]) == "module.ingest.sqs_queue_dlq_name"


def test_compactor_has_the_etl_settings_network_and_secret() -> None:
    etl = MODULES / "etl"
    etl_fn = resource(etl, "aws_lambda_function", "etl")
    compact = resource(etl, "aws_lambda_function", "compact")
    etl_env, compact_env = lambda_environment(etl_fn), lambda_environment(compact)
    for name in ("RAW_BUCKET", "DATABASE_URL_PARAM", "SNS_TOPIC_ARN", "ETL_GRACE_HOURS"):
        assert compact_env[name] == etl_env[name], name
    assert compact_env["DATABASE_URL_PARAM"] == "var.database_url_parameter_name"
    # Same subnets and security group as the ETL: the path PostgreSQL admits.
    assert single(compact["vpc_config"]) == single(etl_fn["vpc_config"])
    assert expression(single(compact["vpc_config"])["security_group_ids"]) == (
        "var.security_group_ids"
    )
    call = module_call(PLATFORM, "etl")
    assert [expression(g) for g in call["security_group_ids"]] == [
        "module.network.security_group_etl_id"
    ]
    assert expression(call["subnet_ids"]) == "module.network.private_subnet_ids"
    # ENIs for the VPC, before the function is created.
    attachment = resource(etl, "aws_iam_role_policy_attachment", "compact_vpc")
    assert expression(attachment["role"]) == "aws_iam_role.compact.name"
    assert expression(attachment["policy_arn"]).endswith(
        "policy/service-role/AWSLambdaVPCAccessExecutionRole"
    )
    assert "aws_iam_role_policy_attachment.compact_vpc" in expression(compact["depends_on"])


def test_compactor_reads_exactly_its_dsn_and_can_publish_alerts() -> None:
    etl = MODULES / "etl"
    statements = policy_statements(etl, "compact")
    ssm = [st for st in statements if any(a.startswith("ssm:") or a == "*" for a in st["actions"])]
    assert [(st["actions"], st["resources"]) for st in ssm] == [
        (["ssm:GetParameter"], ["var.database_url_parameter_arn"])
    ]
    assert (["sns:Publish"], ["var.sns_topic_arn"]) in [
        (st["actions"], st["resources"]) for st in statements
    ]
    # The alert topic has a customer-managed key: publishing needs a data key from it.
    for name in ("etl", "compact"):
        assert (["kms:Decrypt", "kms:GenerateDataKey"], ["var.alerts_kms_key_arn"]) in [
            (st["actions"], st["resources"]) for st in policy_statements(etl, name)
        ], name
    assert expression(module_call(PLATFORM, "etl")["alerts_kms_key_arn"]) == (
        "module.monitoring.kms_key_arn"
    )
    assert not any("*" in r for st in statements for r in st["resources"] if ":*" not in r)


def test_compactor_environment_is_accepted_by_the_etl_loader() -> None:
    from clickstream.etl.config import EtlSettings

    compact_env = lambda_environment(resource(MODULES / "etl", "aws_lambda_function", "compact"))
    sample = {
        "RAW_BUCKET": "clickstream-prod-raw-123456789012",
        "DATABASE_URL_PARAM": "/clickstream/prod/etl/database_url",
        "SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:clickstream-prod-alerts",
        "ETL_GRACE_HOURS": "2",
        "ETL_TIME_BUDGET_SECONDS": "840",
        "LOG_LEVEL": "INFO",
    }
    assert set(compact_env) == set(sample), set(compact_env) ^ set(sample)
    settings = EtlSettings.from_env(sample)
    assert settings.database_url_param == sample["DATABASE_URL_PARAM"]
    assert settings.database_url is None


def test_compactor_runs_every_hour() -> None:
    expression_default = str(variable_default(MODULES / "etl", "compaction_schedule_expression"))
    assert re.fullmatch(r"cron\(\d{1,2} \* \* \* \? \*\)", expression_default) or (
        expression_default == "rate(1 hour)"
    ), expression_default
    assert "compaction_schedule_expression" not in module_call(TF / "envs" / "prod", "platform")


def test_cloudfront_proves_requests_came_through_it() -> None:
    site = MODULES / "site"
    assert unquote(locals_of(site)["origin_verify_header"]) == layout.ORIGIN_VERIFY_HEADER
    distribution = resource(site, "aws_cloudfront_distribution", "this")
    origins = {expression(o["origin_id"]): o for o in distribution["origin"]}
    api = origins["local.api_origin_id"]
    assert expression(api["domain_name"]) == "var.api_domain_name"
    header = single(api["custom_header"])
    assert expression(header["name"]) == "local.origin_verify_header"
    assert expression(header["value"]) == "var.origin_verify_value"
    assert "custom_header" not in origins["local.s3_origin_id"], "the secret goes to the API only"
    # One generated value: CloudFront sends it, the ingest reads it from the same parameter.
    assert expression(module_call(PLATFORM, "site")["origin_verify_value"]) == (
        "module.secrets.origin_verify_value"
    )
    outputs = {
        unquote(k): v
        for item in configuration(MODULES / "secrets")["output"]
        for k, v in item.items()
    }
    assert expression(outputs["origin_verify_value"]["value"]) == (
        "aws_ssm_parameter.origin_verify.value"
    )
    assert outputs["origin_verify_value"]["sensitive"] is True
    assert expression(outputs["origin_verify_parameter_name"]["value"]) == (
        "aws_ssm_parameter.origin_verify.name"
    )
    ingest = MODULES / "ingest"
    env = lambda_environment(resource(ingest, "aws_lambda_function", "this"))
    assert env["ORIGIN_VERIFY_PARAM"] == "var.origin_verify_parameter_name"
    call = module_call(PLATFORM, "ingest")
    assert expression(call["origin_verify_parameter_name"]) == (
        "module.secrets.origin_verify_parameter_name"
    )
    assert expression(call["origin_verify_parameter_arn"]) == (
        "module.secrets.origin_verify_parameter_arn"
    )
    ssm = [st for st in policy_statements(ingest, "this") if "ssm:GetParameter" in st["actions"]]
    assert ssm and ssm[0]["resources"] == sorted(
        [
            "var.origin_verify_parameter_arn",
            "var.pii_hash_key_parameter_arn",
            "var.site_keys_parameter_arn",
        ]
    )


def test_cloudfront_writes_no_standard_logs() -> None:
    distribution = resource(MODULES / "site", "aws_cloudfront_distribution", "this")
    assert "logging_config" not in distribution, "standard logs keep client IPs and query strings"
    rules = resource(MODULES / "raw_store", "aws_s3_bucket_lifecycle_configuration", "access_logs")[
        "rule"
    ]
    legacy = [r for r in rules if unquote(single(r["filter"]).get("prefix")) == "cloudfront/"]
    assert legacy, "old CloudFront logs in the access-log bucket must expire early"
    assert int(single(legacy[0]["expiration"])["days"]) <= 7


# --- dashboard access and deployment profiles (issue 13) -----------------------------


def test_no_load_balancer_resource_anywhere() -> None:
    # The dashboard is a CloudFront VPC origin; nothing listens publicly but CloudFront.
    load_balancers = {"aws_lb", "aws_alb", "aws_elb", "aws_lb_listener", "aws_lb_target_group"}
    for directory in [*sorted(p for p in MODULES.iterdir() if p.is_dir()), *ENVS]:
        declared = {
            unquote(k) for item in configuration(directory).get("resource", []) for k in item
        }
        assert not declared & load_balancers, directory


def test_env_roots_choose_a_profile_dev_lean_prod_standard() -> None:
    assert variable_default(TF / "envs" / "dev", "deployment_profile") == "lean"
    assert variable_default(TF / "envs" / "prod", "deployment_profile") == "standard"
    for env_root in ENVS:
        call = module_call(env_root, "platform")
        assert expression(call["deployment_profile"]) == "var.deployment_profile"
        # The WAF's rule groups follow the profile's choice made in modules/platform.
        waf = module_call(env_root, "edge_waf")
        assert expression(waf["managed_rules"]) == "module.platform.waf_managed_rules"


def test_edge_bundle_paths_are_what_the_package_script_builds() -> None:
    script = (REPO_ROOT / "scripts" / "package-edge-auth.sh").read_text()
    assert 'BUILD_DIR="${BUILD_DIR:-$ROOT/build}"' in script
    assert '--out "$BUILD_DIR/edge-auth-$ENV_NAME.zip"' in script
    for env_root in ENVS:
        env = env_root.name
        edge = module_call(env_root, "edge_auth")
        assert (
            unquote(edge["package_path"])
            == "${path.root}/../../../build/edge-auth-${local.environment}.zip"
        )
        assert (
            unquote(edge["config_path"])
            == "${path.root}/../../../build/edge-auth-${local.environment}.config.json"
        )
        assert unquote(locals_of(env_root)["environment"]) == env
    # The built entry point is what the function's handler names.
    function = resource(MODULES / "edge_auth", "aws_lambda_function", "this")
    assert unquote(function["handler"]) == "index.handler"
    build = (REPO_ROOT / "lambdas" / "edge-auth" / "scripts" / "build.mjs").read_text()
    assert "zip([['index.mjs', bundle]])" in build and "export const handler" in build


def test_edge_config_fields_are_what_the_bundle_reads() -> None:
    config = (REPO_ROOT / "lambdas" / "edge-auth" / "src" / "config.mjs").read_text()
    fields = re.search(r"const FIELDS = \[([^\]]*)\]", config)
    assert fields
    expected = set(re.findall(r"'(\w+)'", fields.group(1)))
    outputs = configuration(MODULES / "admin_auth")["output"]
    value = next(
        spec for item in outputs for k, spec in item.items() if unquote(k) == "edge_auth_config"
    )["value"]
    assert set(value) == expected


def variable_spec(directory: Path, name: str) -> dict[str, Any]:
    for item in configuration(directory).get("variable", []):
        for key, spec in item.items():
            if unquote(key) == name:
                return dict(spec)
    raise AssertionError(f"variable {name} not declared in {directory.relative_to(REPO_ROOT)}")


@pytest.mark.parametrize("root", [PLATFORM, *ENVS], ids=lambda p: p.name)
def test_business_alerts_pass_through_with_the_etl_modules_type_and_validation(
    root: Path,
) -> None:
    etl = variable_spec(MODULES / "etl", "business_alerts")
    here = variable_spec(root, "business_alerts")
    for key in ("type", "default", "validation"):
        assert here.get(key) == etl.get(key), f"{root.name}: business_alerts {key} differs"
    assert here.get("description"), root.name
    callee = "etl" if root == PLATFORM else "platform"
    passed = module_call(root, callee).get("business_alerts")
    assert expression(passed) == "var.business_alerts", f"{root.name} does not pass it on"


def test_etl_reads_the_stacks_alarm_states() -> None:
    env = lambda_environment(resource(MODULES / "etl", "aws_lambda_function", "etl"))
    assert expression(env["ALARM_NAME_PREFIX"]) == "${var.name}-" or "var.name" in str(
        env["ALARM_NAME_PREFIX"]
    )
    statements = policy_statements(MODULES / "etl", "etl")
    describe = [s for s in statements if "cloudwatch:DescribeAlarms" in s["actions"]]
    assert len(describe) == 1 and all(":alarm:" in r for r in describe[0]["resources"])
