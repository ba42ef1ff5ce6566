"""Administration of a ClickHouse server (databases, roles, users): run by an administrator with
`make clickhouse-setup`, never by the DAGs. Its SQL (`sql/`) is kept apart from the transformation
SQL in include/sql, which runs as the loader user."""

from include.clickhouse_admin.server_setup import (
    SETUP_DIR,
    SetupError,
    apply,
    main,
    run,
    setup_values,
    split_statements,
    statements,
)

__all__ = ["SETUP_DIR", "SetupError", "apply", "main", "run", "setup_values", "split_statements", "statements"]
