"""Column types and SQL functions that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from checkout.core.clock import as_utc


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python; SQLite keeps no zone, so values are normalised to UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes: a time without a zone is a bug waiting for DST."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes on every database."""
        return None if value is None else as_utc(value)


class EpochSeconds(FunctionElement[int]):
    """Whole seconds since 1970-01-01 UTC of a UtcDateTime column, the same on both databases
    (PostgreSQL's EXTRACT(EPOCH) does not depend on the session's time zone)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(EpochSeconds, "sqlite")
def _epoch_seconds_sqlite(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Only the first 19 characters, YYYY-MM-DD HH:MM:SS: SQLite rounds fractions of a second,
    # so 23:59:59.9999 would count on the next day.
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER)"


@compiles(EpochSeconds, "postgresql")
def _epoch_seconds_postgresql(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"
