"""``python -m npqa.cli``: the npqa command line."""
from npqa.cli import main

main()
