"""Create or drop a throw-away PostgreSQL database for one CI run.

Usage: pg_database.py create|drop ADMIN_URL NAME
"""

from __future__ import annotations

import re
import sys

import psycopg


def main(action: str, admin_url: str, name: str) -> int:
    """Run CREATE or DROP DATABASE for `name` through the server at `admin_url`."""
    if not re.fullmatch(r"[a-z0-9_]{1,63}", name):
        print(f"unsafe database name: {name!r}", file=sys.stderr)
        return 2
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
            if action == "create":
                connection.execute(f"CREATE DATABASE {name}")
            else:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except psycopg.OperationalError as error:
        print(f"PostgreSQL is not reachable at {admin_url}: {error}", file=sys.stderr)
        return 1
    print(f"{action}: database {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
