"""The Makefile is the entry point people read about: `make help` lists all of it, the
docs name only targets that exist, and it defines nothing that nothing uses.

A target counts as documented when a Markdown file names it as a command: `make X` in an
inline code span or at the start of a line in a fenced code block (so prose such as
"make sure" is not a target).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = REPO_ROOT / "Makefile"
# Directories whose Markdown is not ours (vendored packages, virtualenvs, builds).
SKIP_DIRS = {"node_modules", "dist", "build", ".local"}
# Variables make itself reads.
SPECIAL_VARIABLES = {"SHELL", ".DEFAULT_GOAL"}

RULE = re.compile(r"^([a-z][a-z0-9-]*)\s*:(?!=)", re.M)
ASSIGNMENT = re.compile(r"^([A-Z_]+)\s*(?::=|\?=|\+=|=)", re.M)
MAKE_WORDS = re.compile(r"\bmake((?:\s+[a-z][a-z0-9-]*)+)")


def makefile_text() -> str:
    return MAKEFILE.read_text()


def rule_targets(text: str) -> set[str]:
    return set(RULE.findall(text))


def phony_targets(text: str) -> set[str]:
    match = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", text, re.M)
    assert match is not None, "the Makefile has no .PHONY line"
    return set(match.group(1).replace("\\\n", " ").split())


def help_lines() -> list[str]:
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def help_section(lines: list[str], title: str) -> set[str]:
    """First words of the indented lines after the line starting with `title`."""
    names: set[str] = set()
    inside = False
    for line in lines:
        if not line.startswith(" "):
            inside = line.startswith(title)
        elif inside:
            names.add(line.split()[0])
    return names


def documented_targets(markdown: str) -> set[str]:
    """Targets of the `make ...` commands a Markdown text shows (code spans, code blocks)."""
    commands: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            command = re.sub(r"^\s*(\$\s+)?", "", line)
            commands.extend(part for part in re.split(r"&&|;|\|\|", command))
        else:
            commands.extend(re.findall(r"`([^`]*)`", line))
    targets: set[str] = set()
    for command in commands:
        match = MAKE_WORDS.match(command.strip())
        if match:
            targets.update(match.group(1).split())
    return targets


def markdown_files() -> list[Path]:
    return sorted(
        path
        for path in REPO_ROOT.rglob("*.md")
        if not any(
            part in SKIP_DIRS or part.startswith(".") for part in path.relative_to(REPO_ROOT).parts
        )
    )


def test_make_help_lists_every_target() -> None:
    # Given the targets the Makefile defines
    targets = rule_targets(makefile_text())
    # When `make help` runs
    listed = help_section(help_lines(), "Targets")
    # Then it lists each of them, and nothing else
    assert targets - listed == set(), "give these targets a `## description`"
    assert listed - targets == set()


def test_make_help_lists_every_option() -> None:
    # Options are the `?=` variables: a user sets them on the command line.
    options = {
        name
        for name, op in re.findall(r"^([A-Z_]+)\s*(\?=|:=|\+=|=)", makefile_text(), re.M)
        if op == "?="
    }
    assert options, "the Makefile defines no options: the parser is broken"
    assert help_section(help_lines(), "Options") == options


def test_phony_names_exactly_the_targets() -> None:
    text = makefile_text()
    assert phony_targets(text) == rule_targets(text)


def test_every_variable_is_used() -> None:
    text = makefile_text()
    defined = set(ASSIGNMENT.findall(text)) - SPECIAL_VARIABLES
    unused = {name for name in defined if not re.search(rf"\$[({{]{name}[)}}]", text)}
    assert unused == set(), "remove these variables or use them"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_documented_make_targets_exist(path: Path) -> None:
    missing = documented_targets(path.read_text()) - rule_targets(makefile_text())
    assert missing == set(), f"{path.relative_to(REPO_ROOT)} names make targets the Makefile lacks"


def test_docs_name_the_main_entry_points() -> None:
    # The scanner finds commands at all: README.md shows `make setup` and `make demo`.
    assert {"setup", "demo", "test"} <= documented_targets((REPO_ROOT / "README.md").read_text())


def test_target_scanner_reads_commands_not_prose() -> None:
    markdown = """Make sure to run `make setup demo` first, then `make plan ENV=dev`.
We make sure nothing breaks; make sense of `make`.

```sh
$ make nosuch && make lint
make warehouse CHECK=1
```
"""
    assert documented_targets(markdown) == {"setup", "demo", "plan", "nosuch", "lint", "warehouse"}
