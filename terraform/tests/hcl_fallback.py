"""Offline fallback when no terraform binary or provider mirror is available.

Parses every .tf file with python-hcl2 and cross-checks what `terraform validate`
would otherwise catch first: every var./local./module./data./resource reference
resolves inside its configuration, every module call passes only variables the module
declares and every variable it requires, and each module has the house-style files.
It cannot check provider arguments: that is what the loud warning in run.sh is for.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import hcl2

REQUIRED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
META_ARGS = {"source", "providers", "count", "for_each", "depends_on", "version", "__is_block__"}
# References inside expressions; attribute chains after the address are ignored.
REF = re.compile(
    r"(?<![\w.])(var|local|module|data)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?"
    r"|(?<![\w.\"])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"
)
NOT_ADDRESSES = {"each", "count", "path", "self", "terraform", "ephemeral"}


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def unquote(name: str) -> str:
    return name.strip('"')


def addresses(items: list[Any]) -> set[tuple[str, str]]:
    """(type, name) of every resource or data block."""
    return {(unquote(t), unquote(n)) for item in items for t, body in item.items() for n in body}


def check_configuration(directory: Path) -> list[str]:
    errors: list[str] = []
    blocks: dict[str, list[Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as handle:
            parsed = hcl2.load(handle)
        for kind, items in parsed.items():
            blocks.setdefault(kind, []).extend(items)

    variables = {unquote(k) for item in blocks.get("variable", []) for k in item}
    local_names = {unquote(k) for item in blocks.get("locals", []) for k in item}
    modules = {unquote(k): v for item in blocks.get("module", []) for k, v in item.items()}
    resources = addresses(blocks.get("resource", []))
    data = addresses(blocks.get("data", []))

    for text in strings(blocks):
        for match in REF.finditer(text):
            kind, first, second, rtype, rname = match.groups()
            if kind == "var" and first not in variables:
                errors.append(f"{directory}: undeclared variable var.{first}")
            elif kind == "local" and first not in local_names:
                errors.append(f"{directory}: undeclared local.{first}")
            elif kind == "module" and first not in modules:
                errors.append(f"{directory}: unknown module.{first}")
            elif kind == "data" and second and (first, second) not in data:
                errors.append(f"{directory}: unknown data.{first}.{second}")
            elif rtype and rtype not in NOT_ADDRESSES and (rtype, rname) not in resources:
                # Resource type names also appear as plain words in descriptions; only
                # flag references that look like expressions.
                if "${" in text or not text.startswith('"'):
                    errors.append(f"{directory}: unknown resource {rtype}.{rname}")

    for name, call in modules.items():
        source = unquote(str(call.get("source", "")))
        target = (directory / source).resolve()
        if not target.is_dir():
            errors.append(f"{directory}: module {name} source {source} does not exist")
            continue
        declared: dict[str, dict[str, Any]] = {}
        for tf in target.glob("*.tf"):
            with tf.open() as handle:
                for item in hcl2.load(handle).get("variable", []):
                    declared.update({unquote(k): v for k, v in item.items()})
        passed = {k for k in call if k not in META_ARGS}
        for arg in sorted(passed - set(declared)):
            errors.append(
                f"{directory}: module {name} passes {arg}, which {source} does not declare"
            )
        for var_name, spec in declared.items():
            if "default" not in spec and var_name not in passed:
                errors.append(f"{directory}: module {name} omits required variable {var_name}")
    return errors


def main(tf_root: str) -> int:
    root = Path(tf_root)
    errors: list[str] = []
    modules = sorted(p for p in (root / "modules").iterdir() if p.is_dir())
    envs = sorted(p for p in (root / "envs").iterdir() if p.is_dir())
    for module in modules:
        errors += [f"{module}: missing {f}" for f in REQUIRED_FILES if not (module / f).exists()]
    for directory in modules + envs:
        errors += check_configuration(directory)
        print(f"parsed and cross-checked {directory.relative_to(root.parent)}")
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
