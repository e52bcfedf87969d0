"""``npqa serve`` over HTTP (Starlette's TestClient): good and bad requests.

Each bad request gets a JSON ``{"error": …}`` with a 4xx status, and the next
good request is still answered. Answers come from the shipped model through
the same call as ``npqa ask``.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("starlette")
pytest.importorskip("multipart")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from npqa.api import TableQA  # noqa: E402
from npqa.cli import app as cli_app  # noqa: E402
from npqa.serve.app import ServeConfig, create_app  # noqa: E402

CSV = b"City,Country,Population\nParis,France,2100000\nLyon,France,510000\nBerlin,Germany,3600000\nHamburg,Germany,1800000\n"
QUESTION = "how many cities are in France?"
CAP = 4000  # bytes: a small cap so an over-the-cap upload is cheap


@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the server's upload folder goes under tmp_path
    with TestClient(create_app(ServeConfig(max_upload_bytes=CAP)), raise_server_exceptions=False) as c:
        yield c


def ask_upload(client: TestClient, data: bytes = CSV, name: str = "cities.csv", question: str = QUESTION) -> Any:
    return client.post("/api/ask", files={"file": (name, data, "text/csv")}, data={"question": question, "top": "3"})


def assert_still_serving(client: TestClient) -> None:
    response = ask_upload(client)
    assert response.status_code == 200, response.text


def test_page_and_its_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_ask_returns_the_ask_json_fields_and_the_cells(tmp_path: Path, client: TestClient) -> None:
    body = ask_upload(client).json()
    path = tmp_path / "cities.csv"
    path.write_bytes(CSV)
    expected = TableQA.load().ask(str(path), QUESTION, top=3).to_dict()
    assert {k: body[k] for k in expected} == expected  # the same call as npqa ask, the same fields
    assert body["table"]["columns"] == ["City", "Country", "Population"]
    assert [row["cells"][0] for row in body["table"]["rows"]] == ["Paris", "Lyon", "Berlin", "Hamburg"]
    assert len(body["column_probs"]) == len(body["steps"])


def test_a_table_id_answers_later_questions(client: TestClient) -> None:
    first = client.post("/api/table", files={"file": ("cities.csv", CSV, "text/csv")}).json()
    assert first["table"]["n_rows"] == 4
    again = client.post("/api/ask", data={"table": first["table_id"], "question": QUESTION})
    assert again.status_code == 200 and again.json()["table_id"] == first["table_id"]


def test_json_body_is_accepted(client: TestClient) -> None:
    table_id = client.post("/api/table", data={"example": "blue-mink-singles.csv"}).json()["table_id"]
    response = client.post("/api/ask", json={"table": table_id, "question": "how many singles were released in 1973?"})
    assert response.status_code == 200 and response.json()["name"] == "blue-mink-singles.csv"


def test_every_example_reads(client: TestClient) -> None:
    for example in client.get("/api/examples").json():
        response = client.post("/api/table", data={"example": example["name"]})
        assert response.status_code == 200 and response.json()["table"]["n_rows"] > 0


def test_no_file_is_a_clear_400(client: TestClient) -> None:
    response = client.post("/api/ask", data={"question": QUESTION})
    assert response.status_code == 400
    assert response.json()["error"].startswith("table: no table given")
    assert_still_serving(client)


def test_an_empty_file_part_is_no_file(client: TestClient) -> None:
    response = client.post("/api/ask", files={"file": ("", b"", "application/octet-stream")}, data={"question": QUESTION})
    assert response.status_code == 400 and response.json()["error"].startswith("table: no table given")


def test_a_binary_file_is_a_clear_400(client: TestClient) -> None:
    response = ask_upload(client, data=bytes(range(256)) * 4, name="photo.bin")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("photo.bin: binary") and tempfile.gettempdir() not in error  # names the upload, not the temp path
    assert_still_serving(client)


def test_an_empty_question_is_a_clear_400(client: TestClient) -> None:
    response = ask_upload(client, question="   ")
    assert response.status_code == 400 and response.json() == {"error": "question: empty question"}
    assert_still_serving(client)


def test_an_upload_over_the_cap_is_a_clear_413(client: TestClient) -> None:
    big = CSV + b"".join(b"Town%d,Nowhere,%d\n" % (i, i) for i in range(400))
    assert len(big) > CAP
    response = ask_upload(client, data=big)
    assert response.status_code == 413
    assert "larger than the server's limit" in response.json()["error"] and "--max-upload-mb" in response.json()["error"]
    assert_still_serving(client)


def test_a_chunked_body_over_the_cap_is_cut_off(client: TestClient) -> None:
    chunks = iter([b"x" * 1500] * 4)  # no Content-Length: counted as it arrives
    response = client.post("/api/ask", content=chunks, headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert_still_serving(client)


def test_an_unknown_table_id_is_a_404(client: TestClient) -> None:
    response = client.post("/api/ask", data={"table": "nope", "question": QUESTION})
    assert response.status_code == 404 and "upload it again" in response.json()["error"]


def test_a_bad_top_is_a_400(client: TestClient) -> None:
    response = client.post("/api/ask", files={"file": ("cities.csv", CSV)}, data={"question": QUESTION, "top": "99"})
    assert response.status_code == 400 and response.json()["error"].startswith("top:")


def test_uploads_are_not_kept_and_the_folder_goes_at_shutdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with TestClient(create_app()) as c:
        assert ask_upload(c).status_code == 200
        (folder,) = tmp_path.glob("npqa-serve-*")
        assert list(folder.rglob("*")) == []  # the upload was deleted once read
    assert list(tmp_path.glob("npqa-serve-*")) == []


def test_serve_without_the_extra_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: serve: needs uvicorn: pip install 'npqa[serve]'"


def test_an_xlsx_upload_is_read(tmp_path: Path) -> None:
    import pandas as pd

    book = tmp_path / "cities.xlsx"
    pd.DataFrame({"City": ["Paris", "Lyon", "Berlin"], "Country": ["France", "France", "Germany"]}).to_excel(book, index=False)
    with TestClient(create_app()) as client:  # a workbook is larger than the small cap of the other tests
        response = client.post("/api/table", files={"file": ("cities.xlsx", book.read_bytes())})
    assert response.status_code == 200, response.text
    assert [row["cells"] for row in response.json()["table"]["rows"]] == [["Paris", "France"], ["Lyon", "France"], ["Berlin", "Germany"]]
