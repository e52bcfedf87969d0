"""A longer fuzz run of ``tests/test_fuzz.py``: many more, freshly random cases.

    python bench/fuzz_long.py                      # 2,000 examples per fuzz test, random seed
    python bench/fuzz_long.py --examples 500 --seeded   # the CI cases, just more of them

Runs the test module under pytest with ``NPQA_FUZZ_EXAMPLES`` raised (and, unless
``--seeded``, ``NPQA_FUZZ_RANDOM`` set so hypothesis draws new cases), then prints
``fuzz_cases=N failures=F seconds=S``, N counting every CLI invocation checked
against the exit contract. Exit status 1 if any case failed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


class _Count:
    """A pytest plugin that reads the case counter of the fuzz module after the run."""

    def __init__(self) -> None:
        self.cases = 0

    def pytest_sessionfinish(self, session: Any) -> None:
        module = sys.modules.get("test_fuzz") or sys.modules.get("tests.test_fuzz")
        self.cases = module.CASES["cli"] if module is not None else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="hypothesis examples per fuzz test")
    parser.add_argument("--seeded", action="store_true", help="keep hypothesis derandomized (the CI cases first)")
    args = parser.parse_args(argv)
    import pytest

    os.environ["NPQA_FUZZ_EXAMPLES"] = str(args.examples)
    if not args.seeded:
        os.environ["NPQA_FUZZ_RANDOM"] = "1"
    os.chdir(REPO)
    counter = _Count()
    t0 = time.perf_counter()
    status = pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"], plugins=[counter])
    seconds = time.perf_counter() - t0
    print(f"fuzz_cases={counter.cases} failed={int(status != 0)} seconds={seconds:.0f} examples_per_test={args.examples}")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
