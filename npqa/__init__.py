"""npqa: table question answering with the Neural Programmer, answers you can check."""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["TableQA", "AskResult", "__version__"]


def __getattr__(name: str) -> Any:  # lazy, so that `import npqa` stays cheap
    if name in ("TableQA", "AskResult"):
        from npqa import api

        return getattr(api, name)
    raise AttributeError(f"module 'npqa' has no attribute {name!r}")
