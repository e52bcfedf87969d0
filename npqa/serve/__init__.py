"""``npqa serve``: a local page to drop a table, ask, and watch the program run.

:func:`npqa.serve.app.create_app` builds the Starlette app (needs the ``serve``
extra: ``pip install 'npqa[serve]'``); the page is ``static/`` (plain HTML, CSS
and JavaScript, no build step) and the example tables are ``examples/``. The
JSON endpoints are documented in ``docs/SERVE.md``.
"""
