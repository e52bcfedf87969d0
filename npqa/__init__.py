"""npqa: table question answering with the Neural Programmer, answers you can check."""
from __future__ import annotations

__version__ = "0.1.0"
