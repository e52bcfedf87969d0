"""``npqa serve`` and the ``--explain-html`` page in a real browser: the system Chromium driven by Playwright.

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


def test_explain_page_draws_an_attention_strip_per_step(browser: Any, tmp_path: Path) -> None:
    """The page ``ask --explain-html`` writes, opened from disk: one heat strip per step, every word
    of the question drawn in it (a visible box), the most-read word shaded darker than the least."""
    from npqa.api import TableQA
    from npqa.cli.explain import write_html
    from npqa.question.parse import parse_question
    from npqa.table.read import load_table

    (tmp_path / "cities.csv").write_text(CSV)
    table = load_table(str(tmp_path / "cities.csv"))
    result = TableQA.load().ask(table, QUESTION)  # the shipped model
    assert result.steps, "the answer has no steps to show"
    path = tmp_path / "explain.html"
    write_html(path, [result], table)

    page = browser.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(path.as_uri())
    assert fetched == [path.as_uri()], "the page is not self-contained"
    strips = page.locator("table.attention tr.strip")
    assert strips.count() == len(result.steps)
    words = parse_question(QUESTION).raw_tokens
    for t, step in enumerate(result.steps):
        cells = strips.nth(t).locator("td.word")
        drawn = cells.evaluate_all(
            """tds => tds.map(td => {
                const box = td.getBoundingClientRect(), css = getComputedStyle(td);
                const rgb = css.backgroundColor.match(/[0-9.]+/g).map(Number);
                return {word: td.firstChild.textContent, weight: Number(td.dataset.weight), width: box.width,
                        height: box.height, opacity: Number(css.opacity), visible: css.visibility === "visible",
                        light: (rgb[0] + rgb[1] + rgb[2]) / 3};
            })"""
        )  # fmt: skip
        assert [d["word"] for d in drawn] == words
        assert all(d["width"] > 0 and d["height"] > 0 and d["opacity"] > 0 and d["visible"] for d in drawn)
        assert sum(d["weight"] for d in drawn) == pytest.approx(1.0, abs=1e-3)
        most = max(drawn, key=lambda d: d["weight"])
        least = min(drawn, key=lambda d: d["weight"])
        assert most["light"] < least["light"], f"step {t + 1}: the most-read word is not shaded darker"
        assert [d["weight"] for d in drawn] == pytest.approx([p for _, p in step.question_attention], abs=1e-4)
    if SCREENSHOT:
        page.screenshot(path=str(Path(SCREENSHOT).with_suffix(".explain.png")), full_page=True)
    page.close()
