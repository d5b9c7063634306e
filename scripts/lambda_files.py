"""The package files each Lambda zip ships, found by walking imports (`make package`).

A zip holds its area (`clickstream/ingest/` or `clickstream/etl/`), the contract, the
data files the code loads, and every `clickstream` module those files import, at any
depth (lazy imports inside functions too), with the `__init__.py` of each package on
the way. The local emulator, the shopper simulation and the CLI never ship: an import
of one from Lambda code is an error here, before it would be one on AWS.

    python scripts/lambda_files.py ingest   # one path per line, relative to lambdas/
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
PACKAGE = "clickstream"
# Per function: the areas shipped whole, and the data files (globs under clickstream/).
FUNCTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ingest": (("ingest", "contract"), ("contract/*.json",)),
    "etl": (("etl", "contract"), ("contract/*.json", "sql/*.sql")),
}
NEVER_SHIPPED = ("clickstream.local", "clickstream.simulation", "clickstream.cli")


class ForbiddenImport(Exception):
    """Lambda code imports a module that only exists on a laptop."""


def module_file(module: str, root: Path = LAMBDAS) -> Path | None:
    """The file of a `clickstream` module or package, or None (a name inside a module)."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def never_shipped(module: str) -> bool:
    return any(module == bad or module.startswith(bad + ".") for bad in NEVER_SHIPPED)


def imports_of(path: Path, root: Path = LAMBDAS) -> set[str]:
    """Every `clickstream...` module name `path` imports (absolute or relative)."""
    return imports_in(path.read_text(encoding="utf-8"), path, root)


def imports_in(source: str, path: Path, root: Path = LAMBDAS) -> set[str]:
    """Every `clickstream...` module name `source` (the text of `path`) imports, at any
    depth: lazy imports inside functions count too."""
    parts = path.relative_to(root).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from (also for __init__)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from clickstream import ingest` imports the submodule `clickstream.ingest`.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def closure(start: list[Path], root: Path = LAMBDAS) -> set[Path]:
    """`start` and every package file they import, transitively, with parent __init__s."""
    todo = list(start)
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in sorted(imports_of(path, root)):
            if never_shipped(module):
                raise ForbiddenImport(f"{path.relative_to(root)} imports {module}")
            target = module_file(module, root)
            if target is not None:
                todo.append(target)
        # A module's packages run their __init__ first.
        parent = path.parent
        while parent != root:
            todo.append(parent / "__init__.py")
            parent = parent.parent
    return seen


def files_for(function: str, root: Path = LAMBDAS) -> list[str]:
    """Paths relative to `root` (lambdas/), sorted, of what `function`'s zip ships."""
    areas, data = FUNCTIONS[function]
    package = root / PACKAGE
    start = [p for area in areas for p in sorted((package / area).rglob("*.py"))]
    shipped = closure(start, root)
    shipped.update(p for pattern in data for p in package.glob(pattern))
    return sorted(str(p.relative_to(root)) for p in shipped if "__pycache__" not in p.parts)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in FUNCTIONS:
        print(f"usage: lambda_files.py {{{'|'.join(FUNCTIONS)}}}", file=sys.stderr)
        return 2
    try:
        print("\n".join(files_for(argv[0])))
    except ForbiddenImport as error:
        print(f"error: {error} (it is not shipped in the Lambda zips)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
