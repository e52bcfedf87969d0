"""The npqa command line in a checkout: ``python cli.py ask TABLE QUESTION``.

The app lives in the package (:mod:`npqa.cli`); an install gives the same as the
``npqa`` command.
"""
from npqa.cli import main

if __name__ == "__main__":
    main()
