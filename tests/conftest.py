"""Shared pytest set-up: report how many property-test cases each op got."""
from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    import sys

    module = sys.modules.get("test_sql_agreement") or sys.modules.get("tests.test_sql_agreement")
    seen = getattr(module, "OPS_SEEN", None)
    if seen:
        total = sum(seen.values())
        terminalreporter.write_line(f"SQL agreement property test: op uses per declared op (total {total}):")
        terminalreporter.write_line("  " + ", ".join(f"{op}={n}" for op, n in sorted(seen.items())))
