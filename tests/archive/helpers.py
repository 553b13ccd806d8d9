"""Raw-SQL helpers for the archive tests: run SQL as an attacker with database access would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from archive import triggers


def run(sql: str, params: list[Any] | None = None) -> None:
    # A savepoint, so a refused statement does not poison the test's transaction on PostgreSQL.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def triggers_disabled() -> Iterator[None]:
    """Tamper as someone who can drop the triggers would; the triggers come back afterwards."""
    for sql in triggers.drop_sql(connection.vendor):
        run(sql)
    try:
        yield
    finally:
        for sql in triggers.create_sql(connection.vendor):
            run(sql)
