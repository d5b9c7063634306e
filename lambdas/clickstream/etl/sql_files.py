"""The transformation SQL, one statement (or script) per file in clickstream/sql/.

Read once per process with importlib.resources, so the same files are found in the
source tree, an installed wheel and the Lambda zip (scripts/package-lambdas.sh ships
clickstream/sql/*.sql with the ETL). `make lint` runs sqlfluff over them.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    """The text of clickstream/sql/<name>.sql; FileNotFoundError names a missing file."""
    resource = files("clickstream") / "sql" / f"{name}.sql"
    if not resource.is_file():
        raise FileNotFoundError(f"clickstream/sql/{name}.sql is missing from the package")
    return resource.read_text(encoding="utf-8")
