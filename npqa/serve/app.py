"""The ``npqa serve`` web app: one page and three JSON endpoints (``docs/SERVE.md``).

* ``GET /`` the page (``static/index.html`` with ``app.js`` and ``style.css``);
* ``GET /api/examples`` the example tables shipped in ``examples/``;
* ``POST /api/table`` read a table (an uploaded ``file`` or an ``example``):
  its id, columns and first rows;
* ``POST /api/ask`` answer a ``question`` about a table (a ``table`` id from
  ``/api/table``, or a ``file``/``example`` sent along): the fields of
  ``npqa ask --json`` plus the column attention and the cells that draw it.

Answers go through the same library call as ``npqa ask``
(:meth:`npqa.api.TableQA.ask` on a :class:`npqa.session.TableSession`), in a
worker thread so the event loop keeps serving. An upload is written to a
private temporary folder only while it is read, then deleted; the folder goes
when the server stops. Request bodies over the cap get 413 before they are read
whole. Every error is JSON ``{"error": "<what>: <problem>"}`` with a 4xx status
(a bug: 500), and the server keeps serving.
"""
from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from npqa.errors import NpqaError
from npqa.session import TableSession

HERE = Path(__file__).parent
STATIC = HERE / "static"
EXAMPLES = HERE / "examples"
EXAMPLE_QUESTIONS = {  # the example tables and a question to start from
    "blue-mink-singles.csv": "how many singles were released in 1973?",
    "merry-clayton-albums.csv": "which album came out last?",
    "natalia-lesz-singles.csv": "how many singles were released in 2010?",
}
MB = 1024 * 1024


@dataclass(frozen=True)
class ServeConfig:
    """What ``npqa serve`` is started with."""

    model_dir: Path | None = None  # None: the shipped model
    max_upload_bytes: int = 20 * MB  # a request body over this gets 413
    max_tables: int = 16  # tables kept in memory for later questions (the oldest go first)
    max_rows_sent: int = 500  # table rows sent to the page per answer or preview
    max_top: int = 5  # at most this many programs per answer (the chosen one and its alternatives)


class RequestError(Exception):
    """A request the page (or a client) can fix: answered as JSON with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Tables:
    """The tables read so far, by id: at most ``limit``, the least recently used dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_id: OrderedDict[str, tuple[str, TableSession]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, name: str, session: TableSession) -> str:
        table_id = secrets.token_hex(8)
        with self._lock:
            self._by_id[table_id] = (name, session)
            while len(self._by_id) > self.limit:
                self._by_id.popitem(last=False)
        return table_id

    def get(self, table_id: str) -> tuple[str, TableSession]:
        with self._lock:
            if table_id not in self._by_id:
                raise RequestError(404, f"table {table_id}: not known here (the server restarted or it was dropped); upload it again")
            self._by_id.move_to_end(table_id)
            return self._by_id[table_id]


class Answerer:
    """The model, loaded once on first use (in a worker thread)."""

    def __init__(self, model_dir: Path | None) -> None:
        self.model_dir = model_dir
        self._qa: Any = None
        self._lock = threading.Lock()

    def qa(self) -> Any:
        from npqa.api import TableQA

        with self._lock:
            if self._qa is None:
                self._qa = TableQA.load(self.model_dir)
            return self._qa


def _safe_name(filename: str) -> str:
    """A file name safe to create in the temporary folder, keeping the extension.

    >>> _safe_name("../../etc/passwd"), _safe_name("my table (2).xlsx"), _safe_name("")
    ('passwd', 'my_table__2_.xlsx', 'upload')
    """
    base = re.sub(r"[^A-Za-z0-9._-]", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    return base[-100:] or "upload"


def read_upload(folder: Path, filename: str, data: bytes) -> TableSession:
    """Read an uploaded table: written to its own folder inside ``folder`` only while
    :func:`npqa.table.read.load_table` reads it, then deleted. Errors name ``filename``."""
    from npqa.table.read import load_table

    if not data:
        raise RequestError(400, f"{filename}: the file is empty")
    own = Path(tempfile.mkdtemp(dir=folder))
    path = own / _safe_name(filename)
    try:
        path.write_bytes(data)
        table = load_table(path)
    except NpqaError as err:
        raise type(err)(filename, err.problem.replace(str(path), filename)) from None
    finally:
        shutil.rmtree(own, ignore_errors=True)
    table.source = filename  # not the deleted temporary path
    if getattr(table, "database", None) is not None:
        table.database = None  # an uploaded database is deleted too: its SQL reads table t, as for any upload
    return TableSession(table)


def read_example(name: str) -> TableSession:
    """One of the example tables shipped in the package."""
    from npqa.table.read import load_table

    if name not in EXAMPLE_QUESTIONS:
        raise RequestError(400, f"example {name}: no such example (see GET /api/examples)")
    table = load_table(EXAMPLES / name)
    table.source = name
    return TableSession(table)


def table_cells(session: TableSession, selected: list[int], limit: int) -> dict[str, Any]:
    """The cells the page draws: the rows any step selected first, then the others in
    order, at most ``limit``, listed in table order with their 0-based ``index``."""
    table = session.table
    picked: list[int] = []
    seen: set[int] = set()
    for r in selected + list(range(table.n_rows)):
        if len(picked) >= limit:
            break
        if 0 <= r < table.n_rows and r not in seen:
            seen.add(r)
            picked.append(r)
    picked.sort()
    by_column = [column.text_at(picked) for column in table.columns]
    summary = table.summary_rows
    return {
        "columns": table.names,
        "kinds": [c.kind for c in table.columns],
        "n_rows": table.n_rows,
        "rows": [
            {"index": r, "cells": [texts[i] for texts in by_column], "summary": bool(summary[r])}
            for i, r in enumerate(picked)
        ],
        "hidden_rows": table.n_rows - len(picked),
        "notices": table.notices,
    }


async def capped(request: Request, cap: int) -> Request:
    """The request with its body read, or :class:`RequestError` 413 once it passes
    ``cap`` bytes (at once when Content-Length says so)."""
    too_big = RequestError(413, f"upload: larger than the server's limit of {cap / MB:.3g} MB (npqa serve --max-upload-mb)")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise too_big
    chunks, seen = [], 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > cap:
            raise too_big
        chunks.append(chunk)
    body = b"".join(chunks)
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, replay)


async def _fields(request: Request, cap: int) -> dict[str, Any]:
    """The request's fields: JSON object, multipart form or urlencoded form."""
    request = await capped(request, cap)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise RequestError(400, "request: the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise RequestError(400, "request: the JSON body must be an object")
        return body
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as err:  # multipart's own parse errors (a broken boundary, too many parts)
        raise RequestError(400, f"request: cannot read the form: {err}") from None
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            out[key] = (value.filename or "", await value.read())
        else:
            out[key] = value
    return out


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The Starlette app of ``npqa serve``."""
    config = config or ServeConfig()
    tables = Tables(config.max_tables)
    answerer = Answerer(config.model_dir)
    holder: dict[str, Path] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with tempfile.TemporaryDirectory(prefix="npqa-serve-") as folder:
            holder["uploads"] = Path(folder)
            yield
        holder.pop("uploads", None)

    def upload_folder() -> Path:
        if "uploads" not in holder:  # an app driven without its lifespan: a folder of its own
            holder["uploads"] = Path(tempfile.mkdtemp(prefix="npqa-serve-"))
        return holder["uploads"]

    async def table_of(fields: dict[str, Any]) -> tuple[str, str, TableSession]:
        """The table a request names: ``table`` id, uploaded ``file`` or ``example``."""
        upload = fields.get("file")
        if isinstance(upload, tuple) and (upload[0] or upload[1]):  # a form's empty file part is no file
            name, data = upload[0] or "upload", upload[1]
            session = await run_in_threadpool(read_upload, upload_folder(), name, data)
            return tables.add(name, session), name, session
        if fields.get("example"):
            name = str(fields["example"])
            session = await run_in_threadpool(read_example, name)
            return tables.add(name, session), name, session
        if fields.get("table"):
            name, session = tables.get(str(fields["table"]))
            return str(fields["table"]), name, session
        raise RequestError(400, "table: no table given: send a file, an example name or a table id")

    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    async def examples(request: Request) -> JSONResponse:
        return JSONResponse([{"name": n, "question": q} for n, q in EXAMPLE_QUESTIONS.items()])

    async def read_table(request: Request) -> JSONResponse:
        fields = await _fields(request, config.max_upload_bytes)
        table_id, name, session = await table_of(fields)
        return JSONResponse({"table_id": table_id, "name": name, "table": table_cells(session, [], config.max_rows_sent)})

    async def ask(request: Request) -> JSONResponse:
        fields = await _fields(request, config.max_upload_bytes)
        question = fields.get("question")
        if not isinstance(question, str) or not question.strip():
            raise RequestError(400, "question: empty question")
        try:
            top = int(fields.get("top", 3))
        except (TypeError, ValueError):
            raise RequestError(400, f"top: not a whole number: {fields.get('top')!r}") from None
        if not 1 <= top <= config.max_top:
            raise RequestError(400, f"top: must be between 1 and {config.max_top}, not {top}")
        table_id, name, session = await table_of(fields)
        qa = await run_in_threadpool(answerer.qa)
        result = await run_in_threadpool(qa.ask, session, question, top)
        payload = result.to_dict()
        selected = sorted({r for step in result.steps for r in step.rows})
        payload.update(
            question=result.question,
            column_probs=result.column_probs,
            sql_note=result.sql_note,
            table_id=table_id,
            name=name,
            table=table_cells(session, selected, config.max_rows_sent),
        )
        return JSONResponse(payload)

    async def request_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestError)
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def named_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NpqaError)
        return JSONResponse({"error": f"{exc.what}: {exc.problem}"}, status_code=400)

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"unexpected {type(exc).__name__}: {exc}"}, status_code=500)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/examples", examples),
            Route("/api/table", read_table, methods=["POST"]),
            Route("/api/ask", ask, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={RequestError: request_error, NpqaError: named_error, Exception: bug},
        lifespan=lifespan,
    )
