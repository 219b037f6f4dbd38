"""Spreadsheet uploads are refused quickly when a row or the whole sheet is too wide or too large.

A 112 kB XLSX with one row of 1,000,000 cells used to hold a web worker for about 21 s while
openpyxl built the whole row (measured here: 18 s for ``read_table``, and the file was then
accepted); now the sheet is scanned cell by cell and refused at the first cell over the limit
(under 5 ms for ``read_table``, about 0.1 s for the whole request).
"""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from crm.services import imports
from tests.conftest import csrf_token, login_as
from tests.test_import import upload

TIMINGS: dict[str, float] = {}


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_FOLDER", str(tmp_path / "imports"))


@pytest.fixture
def coordinator(client, factories):
    user = factories.UserFactory(role="coordinator")
    login_as(client, user)
    return user


def wide_xlsx(path, cells: int, rows: int = 1) -> bytes:
    """A workbook written with openpyxl's write-only mode (header "Naam", one row "x"), whose
    second row is then widened to ``cells`` text cells without cell references (``<c t="inlineStr">``,
    allowed by the format; openpyxl itself stops at column XFD), ``rows`` times. One row of a
    million cells compresses to 113 kB, like the file in the finding."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Blad1")
    sheet.append(["Naam"])
    sheet.append(["x"])
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    row = "<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * cells + "</row>"
    xml = re.sub(r'<row r="2">.*?</row>', lambda _m: row * rows, xml)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path.read_bytes()


def test_a_row_of_a_million_cells_is_refused_quickly(client, coordinator, tmp_path):
    data = wide_xlsx(tmp_path / "breed.xlsx", 1_000_000)
    started = time.perf_counter()
    response = upload(client, "breed.xlsx", data)
    TIMINGS["1,000,000 cells in one row"] = time.perf_counter() - started
    print(
        f"\n{len(data) / 1024:.0f} kB XLSX with one row of 1,000,000 cells answered in "
        f"{TIMINGS['1,000,000 cells in one row']:.2f} s"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Het bestand heeft meer dan 100 kolommen" in html
    assert TIMINGS["1,000,000 cells in one row"] < 3, TIMINGS


def test_a_sheet_with_too_many_cells_is_refused(client, coordinator, tmp_path, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 1000)
    data = wide_xlsx(tmp_path / "lang.xlsx", 50, rows=30)  # 30 rows of 50 cells: 1,500 cells
    html = upload(client, "lang.xlsx", data).get_data(as_text=True)
    assert "Het bestand heeft meer dan 1.000 cellen" in html


def test_the_column_limit_is_a_setting(client, coordinator, tmp_path, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_COLUMNS", 20)
    html = upload(client, "breed.xlsx", wide_xlsx(tmp_path / "breed.xlsx", 21)).get_data(as_text=True)
    assert "Het bestand heeft meer dan 20 kolommen" in html
    response = upload(client, "smal.xlsx", wide_xlsx(tmp_path / "smal.xlsx", 20))
    assert response.status_code == 302  # on to the column mapping


def upload_raw(client, name: str, content: bytes):
    """``upload`` with the multipart body built here: for a body over 500 kB werkzeug's test
    client spools the request to a temporary file it never closes (a ResourceWarning, which
    this suite turns into an error)."""
    token = csrf_token(client, "/werkgevers/import")
    boundary = "----grens7d2f"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/werkgevers/import",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        content_length=len(body),
    )


def test_a_csv_row_of_a_million_cells_is_refused_quickly(client, coordinator):
    data = ("Naam;KvK-nummer\r\n" + ";".join(["1"] * 1_000_000) + "\r\n").encode()
    started = time.perf_counter()
    html = upload_raw(client, "breed.csv", data).get_data(as_text=True)
    TIMINGS["CSV row of 1,000,000 cells"] = time.perf_counter() - started
    assert "Het bestand heeft meer dan 100 kolommen" in html
    assert TIMINGS["CSV row of 1,000,000 cells"] < 3, TIMINGS


def test_the_service_refuses_too_many_cells_in_a_csv():
    rows = "Naam;Plaats\r\n" + "Bakkerij;Hengelo\r\n" * 600
    with pytest.raises(imports.ImportFileError, match="meer dan 1.000 cellen"):
        imports.read_table("werkgevers.csv", rows.encode(), max_cells=1000)
    assert len(imports.read_table("werkgevers.csv", rows.encode(), max_cells=1202).rows) == 600


def test_empty_styled_cells_beyond_the_last_column_are_no_reason_to_refuse():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Naam", "Plaats"])
    sheet.append(["Bakkerij Bolder", "Hengelo"])
    sheet.cell(row=2, column=300).number_format = "0.00"  # styled, no value
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = imports.read_table("werkgevers.xlsx", buffer.getvalue())
    assert table.rows[0][1][:2] == ["Bakkerij Bolder", "Hengelo"]
