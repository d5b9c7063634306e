"""Each Terraform module's README tables say what its variables.tf and outputs.tf say.

The convention (terraform/README.md, "Module conventions"): `## Inputs` is a table
`| name | description | type | default |` with one row per variable, `## Outputs` a table
`| name | description |` with one row per output, names in backticks. The default column
holds the default as HCL in backticks (long values may be cut short with `...` before
the closing backtick; words may follow it), or `n/a` for a required input: one that has
no default because the caller must wire it (ARNs, IDs, names of other modules' resources).
A wiring input never gets a placeholder default such as an all-zero account id.

Parsed with python-hcl2, so a module another branch adds is checked as soon as it exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p for p in (REPO_ROOT / "terraform" / "modules").iterdir() if p.is_dir())
REQUIRED = "n/a"
# Defaults that only look like values: the all-zero account of the old wiring defaults,
# counted subnet, security group and instance ids, "example" pool and client ids.
PLACEHOLDER = re.compile(
    r"000000000000|subnet-0{8,}|sg-0{8,}|i-0123456789abcdef0|_example\b|exampleclientid"
)


def _unquote(key: str) -> str:
    """python-hcl2 8 keeps the quotes around block labels and string literals."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def render(value: Any) -> str:
    """A default as HCL source, the way the README writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value[2:-1] if value.startswith("${") and value.endswith("}") else value
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        items = [f"{_unquote(k)} = {render(v)}" for k, v in value.items() if k != "__is_block__"]
        return "{" + ", ".join(items) + "}" if items else "{}"
    raise TypeError(f"unexpected HCL value {value!r}")


def blocks(path: Path, kind: str) -> dict[str, dict[str, Any]]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return {_unquote(name): body for item in parsed.get(kind, []) for name, body in item.items()}


def table(readme: str, heading: str) -> list[list[str]] | None:
    """Rows of the table under `## heading` (header and rule excluded), None without one."""
    section = re.search(rf"^## {heading}[ \t]*\n(.*?)(?=^## |\Z)", readme, flags=re.S | re.M)
    if section is None:
        return None
    rows = []
    for line in section.group(1).splitlines():
        if not line.startswith("|") or re.match(r"\|\s*(name|-+)\s*\|", line):
            continue
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def default_matches(cell: str, want: str) -> bool:
    shown = re.match(r"`([^`]*)`", cell)
    if shown is None:
        return False
    text = shown.group(1)
    return text == want or (text.endswith("...") and want.startswith(text[:-3]))


def readme_problems(
    variables: dict[str, dict[str, Any]], outputs: set[str], readme: str
) -> list[str]:
    problems: list[str] = []
    inputs = table(readme, "Inputs")
    if inputs is None:
        problems.append("no ## Inputs table" if variables else "")
        inputs = []
    rows: dict[str, list[str]] = {}
    for cells in inputs:
        name = cells[0].strip("`")
        if len(cells) != 4 or not cells[0].startswith("`"):
            problems.append(f"input row {cells[0]}: want | `name` | description | type | default |")
        elif name in rows:
            problems.append(f"input {name} listed twice")
        rows[name] = cells
    for name in sorted(variables.keys() - rows.keys()):
        problems.append(f"input {name} is in variables.tf but not in the README")
    for name in sorted(rows.keys() - variables.keys()):
        problems.append(f"input {name} is in the README but not in variables.tf")
    for name in sorted(variables.keys() & rows.keys()):
        cells = rows[name]
        if len(cells) != 4:
            continue
        cell, spec = cells[3], variables[name]
        if "default" not in spec:
            if cell != REQUIRED:
                problems.append(
                    f"input {name} is required: default column must be {REQUIRED}, not {cell}"
                )
        elif not default_matches(cell, render(spec["default"])):
            problems.append(
                f"input {name}: default column {cell} is not `{render(spec['default'])}`"
            )
    listed = table(readme, "Outputs")
    if listed is None:
        if outputs:
            problems.append("no ## Outputs table")
        listed = []
    names = [cells[0].strip("`") for cells in listed]
    for name in sorted(outputs - set(names)):
        problems.append(f"output {name} is in outputs.tf but not in the README")
    for name in sorted(set(names) - outputs):
        problems.append(f"output {name} is in the README but not in outputs.tf")
    return [p for p in problems if p]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_readme_tables_match_variables_and_outputs(module: Path) -> None:
    # Given a module's variables.tf, outputs.tf and README.md
    variables = blocks(module / "variables.tf", "variable")
    outputs = set(blocks(module / "outputs.tf", "output"))
    # When the README's tables are compared with them
    problems = readme_problems(variables, outputs, (module / "README.md").read_text())
    # Then every name, default and required marker agrees
    assert problems == [], f"terraform/modules/{module.name}/README.md:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_wiring_inputs_have_no_placeholder_defaults(module: Path) -> None:
    variables = blocks(module / "variables.tf", "variable")
    fake = {
        name: render(spec["default"])
        for name, spec in variables.items()
        if "default" in spec and PLACEHOLDER.search(render(spec["default"]))
    }
    assert fake == {}, "make these inputs required (no default) and set them in tests/*.tftest.hcl"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_usage_example_sets_every_required_input(module: Path) -> None:
    # Given the README's `## Usage` example (an HCL module block)
    usage = re.search(
        r"^## Usage\s*\n+```hcl\n(.*?)^```", (module / "README.md").read_text(), re.S | re.M
    )
    assert usage is not None, (
        f"terraform/modules/{module.name}/README.md has no ## Usage ```hcl block"
    )
    calls = hcl2.loads(usage.group(1)).get("module", [])
    passed = {_unquote(arg) for call in calls for body in call.values() for arg in body}
    # Then a reader who copies it sets every input that has no default
    required = {
        name
        for name, spec in blocks(module / "variables.tf", "variable").items()
        if "default" not in spec
    }
    assert required - passed == set()


README = """# demo

## Inputs

| name | description | type | default |
| --- | --- | --- | --- |
| `name` | Name prefix. | `string` | `"clickstream-prod"` |
| `subnet_ids` | Subnets. | `list(string)` | n/a |
| `enabled` | On. | `bool` | `true` |
| `policy_arn` | A long one. | `string` | `"arn:aws:iam::123456789012:pol...` |

## Outputs

| name | description |
| --- | --- |
| `role_arn` | The role. |
"""
VARIABLES = {
    "name": {"type": "string", "default": '"clickstream-prod"'},
    "subnet_ids": {"type": "${list(string)}"},
    "enabled": {"type": "bool", "default": True},
    "policy_arn": {"type": "string", "default": '"arn:aws:iam::123456789012:policy/x"'},
}


def test_check_accepts_a_matching_readme() -> None:
    assert readme_problems(VARIABLES, {"role_arn"}, README) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda v, o, r: (v | {"extra": {"default": "1"}}, o, r),
            "input extra is in variables.tf but not",
        ),
        (
            lambda v, o, r: (v, o, r.replace("| `enabled`", "| `enable`")),
            "input enable is in the README but not",
        ),
        (
            lambda v, o, r: (v, o, r.replace("| n/a |", '| `["a"]` |')),
            "input subnet_ids is required",
        ),
        (lambda v, o, r: (v, o, r.replace("`true`", "`True`")), "input enabled: default column"),
        (
            lambda v, o, r: (v, o, r.replace('"clickstream-prod"', '"clickstream-dev"')),
            "input name: default",
        ),
        (lambda v, o, r: (v, o | {"role_name"}, r), "output role_name is in outputs.tf but not"),
        (
            lambda v, o, r: (v, o, r.replace("`role_arn`", "`role_id`")),
            "output role_id is in the README but not",
        ),
    ],
    ids=[
        "missing-row",
        "stray-row",
        "required-with-default",
        "python-bool",
        "stale-default",
        "output",
        "stale-output",
    ],
)
def test_check_reports_each_kind_of_drift(change: Any, problem: str) -> None:
    variables, outputs, readme = change(VARIABLES, {"role_arn"}, README)
    problems = readme_problems(variables, outputs, readme)
    assert any(p.startswith(problem) for p in problems), problems
