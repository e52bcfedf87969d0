"""Where the shipped model lives and how it is named."""
from __future__ import annotations

import json
from importlib import resources


def default_model_id() -> str:
    """The id of the model shipped in the package, or a note that none is."""
    card = resources.files("npqa").joinpath("model", "config.json")
    if not card.is_file():
        return "none shipped yet"
    return str(json.loads(card.read_text(encoding="utf-8")).get("model_id", "unnamed"))
