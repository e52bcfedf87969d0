"""``npqa serve``: the local page (:mod:`npqa.serve`), served by uvicorn."""
from __future__ import annotations

import importlib.util

import typer
from typing_extensions import Annotated

from npqa.cli.app import ModelOpt, command
from npqa.errors import DependencyError


@command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (default: this machine only; 0.0.0.0 opens it to the network).")
    ] = "127.0.0.1",
    model: ModelOpt = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.001, help="Largest upload accepted, in MB.")
    ] = 20.0,
) -> None:
    """A local page: drop a table, ask a question, step through the program that answers it."""
    try:
        import uvicorn

        from npqa.serve.app import MB, ServeConfig, create_app
    except ImportError as err:
        raise DependencyError("serve", f"needs {err.name or 'starlette and uvicorn'}: pip install 'npqa[serve]'") from None
    if not any(importlib.util.find_spec(name) for name in ("python_multipart", "multipart")):  # read by starlette on upload
        raise DependencyError("serve", "needs python-multipart: pip install 'npqa[serve]'")
    from npqa.api import TableQA

    TableQA.load(model)  # a bad --model is an error line now, not on the first question
    config = ServeConfig(model_dir=model, max_upload_bytes=int(max_upload_mb * MB))
    typer.echo(f"npqa serve: http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
