"""``npqa serve`` in a real browser: the system Chromium driven by Playwright.

Skipped when Chromium or Playwright is missing, unless ``NPQA_REQUIRE_BROWSER=1``
(``.ci/run`` sets it), which turns a missing browser into a failure. Playwright
only drives ``/usr/bin/chromium`` (or ``$NPQA_CHROMIUM``); it never downloads one.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

REQUIRED = os.environ.get("NPQA_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("NPQA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
SCREENSHOT = os.environ.get("NPQA_SCREENSHOT")  # a path: also save a screenshot of the answered page there

CSV = (
    "City,Country,Population\n"
    "Paris,France,2100000\nLyon,France,510000\nBerlin,Germany,3600000\n"
    "Hamburg,Germany,1800000\nMarseille,France,870000\nMunich,Germany,1500000\n"
)
QUESTION = "how many cities are in France?"


def _need(ok: bool, why: str) -> None:
    if not ok:
        if REQUIRED:
            pytest.fail(f"NPQA_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app on uvicorn in a thread, on a free local port; yields its address."""
    _need(all(_importable(m) for m in ("uvicorn", "starlette", "multipart")), "the serve extra is not installed")
    import uvicorn

    from npqa.serve.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _need(_importable("playwright"), "playwright is not installed (pip install 'npqa[browser]')")
    _need(Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1200, "height": 1000},
        )  # fmt: skip
        yield context
        context.close()


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_upload_ask_and_step_through(server: str, browser: Any, tmp_path: Path) -> None:
    import httpx

    table = tmp_path / "cities.csv"
    table.write_text(CSV)
    page = browser.new_page()
    page.goto(server + "/")
    page.set_input_files("#file", str(table))
    page.wait_for_selector("#table tr[data-row]")
    assert page.locator("#table tr[data-row]").count() == 6
    page.fill("#question", QUESTION)
    page.click("#ask")
    page.wait_for_selector("#answer:not([hidden])")

    # what the page shows is what the endpoint answers for the same upload
    expected = httpx.post(server + "/api/ask", files={"file": ("cities.csv", CSV.encode())}, data={"question": QUESTION, "top": "3"}).json()
    answer = " | ".join(expected["answer"]) if expected["answer"] else "(no answer)"
    assert page.text_content("#answer-text") == answer
    assert page.text_content("#sql") == expected["sql"]
    assert page.text_content("#program") == expected["program"]
    assert page.locator("#alt-list li").count() == len(expected["alternatives"])

    steps = expected["steps"]
    assert steps, "the answer has no steps to show"
    for i, step in enumerate(steps):
        assert page.input_value("#step-slider") == str(i)
        assert page.text_content("#step-label").startswith(f"step {i + 1} of {len(steps)}: {step['op']}")
        assert page.locator("#table tr.lit").count() == len(step["rows"])
        lit = [int(x) for x in page.locator("#table tr.lit").evaluate_all("rows => rows.map(r => r.dataset.row)")]
        assert lit == step["rows"]
        if i < len(steps) - 1:
            page.click("#next")
    assert page.is_disabled("#next")
    page.locator("#step-slider").fill("0")  # the slider goes back to the first step
    assert page.locator("#table tr.lit").count() == len(steps[0]["rows"])
    if SCREENSHOT:
        page.locator("#alternatives summary").click()
        page.screenshot(path=SCREENSHOT, full_page=True)
    page.close()


def test_a_bad_upload_shows_the_error_and_the_page_keeps_working(server: str, browser: Any, tmp_path: Path) -> None:
    junk = tmp_path / "photo.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    page = browser.new_page()
    page.goto(server + "/")
    page.set_input_files("#file", str(junk))
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error").startswith("photo.csv: binary")
    page.select_option("#example", "blue-mink-singles.csv")  # fills in its example question
    page.wait_for_selector("#table tr[data-row]")
    page.click("#ask")
    page.wait_for_selector("#answer:not([hidden])")
    assert page.is_hidden("#error")
    assert page.text_content("#sql").startswith("SELECT")
    page.close()
