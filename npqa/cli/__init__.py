"""The npqa command line: thin typer commands over plain library functions.

One module per group of commands (:mod:`npqa.cli.ask`, :mod:`npqa.cli.programs`,
:mod:`npqa.cli.data`, :mod:`npqa.cli.train`), registered on one app
(:mod:`npqa.cli.app`, which holds the error edge and the shared options). The
console script ``npqa`` is :func:`main`; ``python cli.py …`` in a checkout and
``python -m npqa.cli …`` start the same.
"""
from __future__ import annotations

import os
import sys

import typer

from npqa.cli import ask, data, programs, serve, train  # noqa: F401 - each module registers its commands
from npqa.cli.app import _err, app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point. Usage errors (a bad option, a missing
    argument) get one ``error:`` line and exit 2, like every named input error."""
    # The numpy controller's matrix products are small: OpenBLAS threads on them only
    # wait on each other (predict ran 10x slower on a busy 2-core machine). Read when
    # numpy loads, which no command has done yet; a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # click's UsageError, whether typer vendors click or not: BadParameter's base
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")

    try:
        status = app(standalone_mode=False)
    except usage_error as err:
        hint = f" (see npqa {err.ctx.info_name} --help)" if err.ctx is not None and err.ctx.info_name != "npqa" else ""
        _err(f"error: usage: {err.format_message()}{hint}")
        sys.exit(2)
    except typer.Abort:
        _err("error: aborted")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
