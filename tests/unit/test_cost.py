"""The cost model (scripts/cost.py) against the real plans of both profiles, and its
refusals: an unknown resource type, a stale docs block, a budget below the estimate.

The plans come from terraform/tests/plan_stack.sh (terraform test -verbose of the whole
stack against the mock provider), run once per session.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "cost.py"
PLUGIN_DIRS = [Path("/opt/tf-plugins")]


def load_cost() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["cost"] = module
    spec.loader.exec_module(module)
    return module


cost = load_cost()


@pytest.fixture(scope="session")
def plan_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    import os

    plugin = os.environ.get("TF_PLUGIN_DIR")
    has_mirror = any(
        (Path(p) / "registry.terraform.io/hashicorp/aws").is_dir()
        for p in [*PLUGIN_DIRS, *([plugin] if plugin else [])]
    )
    if shutil.which("terraform") is None or not has_mirror:
        pytest.skip("NO terraform BINARY OR PROVIDER MIRROR: the cost model cannot plan the stack")
    return cost.plan_output()


@pytest.fixture(scope="session")
def runs(plan_text: str) -> dict[str, list[Any]]:
    return cost.parse_plan(plan_text)


@pytest.fixture(scope="session")
def report(runs: dict[str, list[Any]]) -> Any:
    prices = cost.load_prices()
    return cost.build_report(runs, prices, prices["assumptions"]["events_per_request"])


# --- the real plans --------------------------------------------------------------


@pytest.mark.slow
def test_every_planned_type_is_classified_and_profiles_meet_their_targets(report: Any) -> None:
    # Given both profiles planned from the configuration, when priced, then
    # lean stays near its 25 USD target and standard under 60.
    lean, standard = report.total("lean"), report.total("standard")
    assert 0 < lean < standard <= 60
    assert lean <= 27, f"lean costs {lean} USD/month fixed"


@pytest.mark.slow
def test_no_load_balancer_in_any_profile(runs: dict[str, list[Any]]) -> None:
    for profile in cost.PROFILES:
        types = {r.type for r in cost.profile_resources(runs, profile)}
        assert not types & {
            "aws_lb",
            "aws_alb",
            "aws_elb",
            "aws_lb_listener",
            "aws_lb_target_group",
        }, profile
        assert "aws_cloudfront_vpc_origin" in types


@pytest.mark.slow
def test_warehouse_host_has_no_public_ip_in_any_profile(runs: dict[str, list[Any]]) -> None:
    for profile in cost.PROFILES:
        hosts = [
            r
            for r in cost.profile_resources(runs, profile)
            if r.address == "module.warehouse.aws_instance.this"
        ]
        assert len(hosts) == 1 and hosts[0].attrs["associate_public_ip_address"] is False


@pytest.mark.slow
def test_profiles_differ_where_the_issue_says(runs: dict[str, list[Any]]) -> None:
    lean = cost.profile_resources(runs, "lean")
    standard = cost.profile_resources(runs, "standard")

    def count(resources: list[Any], rtype: str) -> int:
        return sum(r.type == rtype for r in resources)

    assert count(lean, "aws_kms_key") == 1 and count(standard, "aws_kms_key") == 3
    assert count(lean, "aws_nat_gateway") == 0 and count(lean, "aws_autoscaling_group") == 1
    assert (
        count(lean, "aws_cloudwatch_metric_alarm")
        <= 10
        < count(standard, "aws_cloudwatch_metric_alarm")
    )
    waf = {
        p: [r for r in cost.profile_resources(runs, p) if r.type == "aws_wafv2_web_acl"]
        for p in cost.PROFILES
    }
    assert waf["lean"][0].blocks["rule"] == 1 and waf["standard"][0].blocks["rule"] == 3
    for resources in (lean, standard):
        assert count(resources, "aws_vpc_endpoint") >= 1  # the S3 gateway endpoint
        assert count(resources, "aws_dlm_lifecycle_policy") == 1  # backups


@pytest.mark.slow
def test_budget_default_sits_above_the_fixed_estimate(report: Any) -> None:
    for profile in cost.PROFILES:
        budget = report.budgets[profile]
        assert budget is not None and budget > report.total(profile) + 5, (profile, budget)


@pytest.mark.slow
def test_docs_cost_block_is_current(report: Any) -> None:
    deploy = (REPO_ROOT / "docs" / "deploy.md").read_text()
    assert cost.replace_block(deploy, cost.markdown(report)) == deploy, (
        "docs/deploy.md's cost block is stale: .venv/bin/python scripts/cost.py --write-docs docs/deploy.md"
    )
    for profile in cost.PROFILES:
        assert f"{profile}: {report.total(profile):.2f} USD/month fixed" in deploy


@pytest.mark.slow
def test_make_cost_prints_one_line_per_profile(plan_text: str, tmp_path: Path) -> None:
    saved = tmp_path / "plan.txt"
    saved.write_text(plan_text)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--plan-output", str(saved), "--events-per-request", "20"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = re.findall(r"^(\w+): (\d+\.\d\d) USD/month fixed$", done.stdout, flags=re.M)
    assert [name for name, _ in lines] == list(cost.PROFILES)
    per_million = dict(
        re.findall(r"^(\w+) per million events: (\d+\.\d\d) USD", done.stdout, flags=re.M)
    )
    assert float(per_million["lean"]) < 1.0  # 20 per request halves the S3 PUTs


# --- refusals (synthetic plans) --------------------------------------------------

PLAN = """\
  run "lean"... pass

  # module.dashboard.{rtype}.this will be created
  + resource "{rtype}" "this" {{
      + name = "x"
      + instance_type = "t4g.small"
      + root_block_device {{
          + volume_size = 12
        }}
      + tags = {{
          + "Name" = "x"
        }}
    }}

  run "standard"... pass
"""


def test_unknown_resource_type_stops_the_model() -> None:
    runs = cost.parse_plan(PLAN.format(rtype="aws_lb"))
    with pytest.raises(cost.CostModelError, match=r"does not know .*aws_lb"):
        cost.fixed_costs(cost.profile_resources(runs, "lean"), cost.load_prices())


def test_parser_reads_nested_blocks_and_skips_maps() -> None:
    runs = cost.parse_plan(PLAN.format(rtype="aws_instance"))
    (instance,) = runs["lean"]
    assert (
        instance.address == "module.dashboard.aws_instance.this"
        and instance.module == "module.dashboard"
    )
    assert instance.attrs["instance_type"] == "t4g.small"
    assert instance.attrs["root_block_device.volume_size"] == 12
    assert "Name" not in instance.attrs and runs["standard"] == []
    items = cost.fixed_costs(runs["lean"], cost.load_prices())
    ec2 = [i for i in items if i.what.startswith("EC2 t4g.small")]
    assert len(ec2) == 1 and ec2[0].usd == pytest.approx(730 * 0.0184)


def test_failed_run_is_not_priced() -> None:
    with pytest.raises(cost.CostModelError, match="did not pass"):
        cost.parse_plan('  run "lean"... fail\n')


def test_events_per_request_must_be_positive() -> None:
    with pytest.raises(cost.CostModelError, match="must be positive"):
        cost.build_report({"lean": [], "standard": []}, cost.load_prices(), 0)


def test_price_file_has_its_date_and_region_and_no_type_twice() -> None:
    prices = cost.load_prices()
    assert re.fullmatch(r"[a-z]{2}-[a-z]+-\d", prices["region"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", prices["date"])
    listed = [t for kind in ("fixed", "usage", "free") for t in prices["types"][kind]]
    assert len(listed) == len(set(listed))


def test_stubbed_secrets_module_creates_only_free_types() -> None:
    # plan_stack.sh replaces modules/secrets (ephemeral resources) by a stub: the
    # inventory loses nothing only while the real module creates free types alone.
    free = set(cost.load_prices()["types"]["free"])
    types: set[str] = set()
    for tf in (REPO_ROOT / "terraform" / "modules" / "secrets").glob("*.tf"):
        with tf.open() as handle:
            for item in hcl2.load(handle).get("resource", []):
                types.update(key.strip('"') for key in item)
    assert types and types <= free, types - free


def test_docs_block_markers_are_exactly_once() -> None:
    with pytest.raises(cost.CostModelError, match="exactly one"):
        cost.replace_block("no markers here", "x")


# CloudWatch Logs bills each log event's message plus 26 bytes.
CLOUDWATCH_EVENT_OVERHEAD_BYTES = 26


def test_the_function_log_bytes_the_model_assumes_cover_what_the_handler_writes(
    ingest_env: Any, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the real ingest handler, its logger writing to a buffer (EMF metrics go to
    # stdout), and a typical accepted batch of three events
    import io

    from clickstream.ingest import handler as handler_module
    from tests.unit.test_ingest_handler import fresh, post

    stream = io.StringIO()
    previous = handler_module.logger.registered_handler.setStream(stream)
    try:
        status, _, _ = post(
            {
                "events": [
                    fresh("direct_page_view"),
                    fresh("direct_page_view"),
                    fresh("proposal_purchase"),
                ]
            },
            lambda_context,
        )
    finally:
        handler_module.logger.registered_handler.setStream(previous)
    assert status == 202
    # When every line one request writes is counted as CloudWatch bills it
    lines = stream.getvalue().splitlines() + capsys.readouterr().out.splitlines()
    assert any('"request done"' in line for line in lines)
    assert any('"CloudWatchMetrics"' in line for line in lines)
    written = sum(len(line.encode()) + CLOUDWATCH_EVENT_OVERHEAD_BYTES for line in lines)
    # Then the model's figure holds it (the rest of the figure is room for an X-Ray id)
    assumed = cost.load_prices()["assumptions"]["function_log_bytes_per_request"]
    assert written <= assumed, (
        f"the handler writes {written} bytes a request; prices.toml says {assumed}:"
        + "".join(f"\n  {len(line)}: {line[:160]}" for line in lines)
    )
