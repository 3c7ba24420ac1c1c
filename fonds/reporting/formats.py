"""Writers of the decision exports: CSV (streamed), XLSX (openpyxl write-only), ODS (own XML in a
zip: odfpy keeps the whole document in memory). Deterministic (same data, same bytes). A text
cell that a spreadsheet could read as a formula is prefixed with ``'`` in every format
(``is_formula_like``). Details: docs/stages.md (Export formats)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from .decisions import Column

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = dt.datetime(1980, 1, 1)
_DANGEROUS = frozenset(("=", "+", "-", "@", "\t", "\r"))
_FORMULA_START = frozenset("=+-@")
#: every character ``str.isspace`` accepts (all below U+3001): a text starting with one is looked at closer
_WHITESPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())
#: first characters that call for ``is_formula_like``: one set lookup per cell on ordinary rows
_SUSPECT = _DANGEROUS | _WHITESPACE
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_formula_like(text: str) -> bool:
    """True for a text a spreadsheet could run as a formula: first character ``= + - @``, tab or
    carriage return, or whitespace then ``= + - @``. The writers inline the cheap first test
    (``v[0] in _SUSPECT``) and call this only for such a first character."""
    if not text:
        return False
    first = text[0]
    if first in _DANGEROUS:
        return True
    return first in _WHITESPACE and text.lstrip()[:1] in _FORMULA_START


def neutralize(text: str) -> str:
    """Prefix a text that a spreadsheet would read as a formula with ``'``."""
    return "'" + text if is_formula_like(text) else text


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _row_fixer(cols: list[Column], decimal_comma: bool):
    """A function preparing a row in place: text cells neutralised, decimals with a comma when
    asked. ``None``, ints, decimals and dates are written by the csv module as ``""`` and
    ``str(value)`` (ISO dates, ``1234.50``)."""
    texts = [i for i, col in enumerate(cols) if col.kind == "text"]
    decimals = [i for i, col in enumerate(cols) if col.kind == "decimal"] if decimal_comma else []

    def fix(row: list) -> list:
        for i in texts:
            v = row[i]
            if v and v[0] in _SUSPECT and is_formula_like(v):
                row[i] = "'" + v
        for i in decimals:
            v = row[i]
            if v is not None:
                row[i] = format(v, "f").replace(".", ",")
        return row

    return fix


def csv_chunks(
    cols: list[Column], rows: Iterable[list], *, semicolon: bool = False, flush_every: int = 2000
) -> Iterator[bytes]:
    """UTF-8 CSV as byte chunks. ``semicolon``: ``;`` separator, decimal comma and a BOM (French
    spreadsheet software); otherwise ``,`` and decimal point, no BOM. Lines end with CRLF (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if semicolon else ",", lineterminator="\r\n")
    writer.writerow([neutralize(c.label) for c in cols])
    fix = _row_fixer(cols, decimal_comma=semicolon)
    prefix = "\ufeff" if semicolon else ""
    yield (prefix + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    writerow = writer.writerow
    pending = 0
    for row in rows:
        writerow(fix(row))
        pending += 1
        if pending >= flush_every:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def write_xlsx(out: IO[bytes], cols: list[Column], rows: Iterable[list], *, title: str = "Décisions") -> None:
    """openpyxl in write-only mode (rows go to a temporary file, not to memory), then the zip is
    copied with fixed timestamps so that the same data gives the same bytes."""
    # openpyxl (~250 modules) on the first export, not in every process: docs/benchmarks.md (issue 15)
    from openpyxl import Workbook  # noqa: PLC0415 — heavy library, loaded on first use
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 — idem

    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_DOC_TIME
    wb.properties.modified = FIXED_DOC_TIME
    wb.properties.creator = "Fonds Jumelages Jeunesse"
    ws = wb.create_sheet(title=title[:31])
    ws.append([c.label for c in cols])
    kinds = [c.kind for c in cols]
    date_cells = [i for i, k in enumerate(kinds) if k == "date"]
    text_cells = [i for i, k in enumerate(kinds) if k == "text"]
    for row in rows:
        row = list(row)
        for i in text_cells:
            v = row[i]
            if v and v[0] in _SUSPECT and is_formula_like(v):
                row[i] = "'" + v
        for i in date_cells:
            if row[i] is not None:
                cell = WriteOnlyCell(ws, value=row[i])
                cell.number_format = "yyyy-mm-dd"
                row[i] = cell
        ws.append(row)
    with tempfile.TemporaryFile() as raw:
        wb.save(raw)
        raw.seek(0)
        _normalize_zip(raw, out)


def _normalize_zip(source: IO[bytes], out: IO[bytes]) -> None:
    """Copy a zip with every member's timestamp fixed (deterministic bytes)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o600 << 16
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the time of saving, whatever was set before
                xml = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + FIXED_DOC_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    zin.read(info),
                )
                zout.writestr(fixed, xml)
                continue
            with zin.open(info) as src, zout.open(fixed, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


# ---------------------------------------------------------------------------------------------
# ODS (OpenDocument spreadsheet), streamed into the zip
# ---------------------------------------------------------------------------------------------

_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
_ODS_STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {_NS} office:version="1.2"><office:styles/></office:document-styles>
"""
_ODS_META = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta {_NS} office:version="1.2">\
<office:meta><meta:generator>Fonds Jumelages Jeunesse</meta:generator></office:meta></office:document-meta>
"""
_ODS_HEAD = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS} office:version="1.2">'
    "<office:automatic-styles>"
    '<number:date-style style:name="N1"><number:year number:style="long"/><number:text>-</number:text>'
    '<number:month number:style="long"/><number:text>-</number:text><number:day '
    'number:style="long"/></number:date-style>'
    '<style:style style:name="cdate" style:family="table-cell" style:data-style-name="N1"/>'
    "</office:automatic-styles><office:body><office:spreadsheet>"
)
_ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>\n"
_EMPTY = "<table:table-cell/>"


def _ods_text(v) -> str:
    if v is None:
        return _EMPTY
    if v and v[0] in _SUSPECT and is_formula_like(v):
        v = "'" + v
    if _XML_INVALID.search(v):
        v = _XML_INVALID.sub("", v)
    return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'


def _ods_number(v) -> str:
    if v is None:
        return _EMPTY
    text = format(v, "f") if isinstance(v, Decimal) else str(v)
    return (
        f'<table:table-cell office:value-type="float" office:value="{text}">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def _ods_date(v) -> str:
    if v is None:
        return _EMPTY
    iso = v.isoformat()
    return (
        f'<table:table-cell table:style-name="cdate" office:value-type="date" office:date-value="{iso}">'
        f"<text:p>{iso}</text:p></table:table-cell>"
    )


def write_ods(
    out: IO[bytes],
    cols: list[Column],
    rows: Iterable[list],
    *,
    title: str = "Décisions",
    flush_every: int = 1000,
) -> None:
    """The ODS package written row by row into ``content.xml`` (bounded memory)."""
    fmts = [
        {"text": _ods_text, "int": _ods_number, "decimal": _ods_number, "date": _ods_date}[c.kind]
        for c in cols
    ]
    with zipfile.ZipFile(out, "w") as zf:
        # the mimetype first and stored (not compressed): the OpenDocument signature
        info = zipfile.ZipInfo("mimetype", date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_STORED
        zf.writestr(info, "application/vnd.oasis.opendocument.spreadsheet")
        for name, text in (
            ("META-INF/manifest.xml", _ODS_MANIFEST),
            ("styles.xml", _ODS_STYLES),
            ("meta.xml", _ODS_META),
        ):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        info = zipfile.ZipInfo("content.xml", date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as content:
            parts = [_ODS_HEAD, f"<table:table table:name={quoteattr(title[:31])}>"]
            parts.append(
                "<table:table-row>" + "".join(_ods_text(c.label) for c in cols) + "</table:table-row>"
            )
            pending = 0
            for row in rows:
                parts.append(
                    "<table:table-row>" + "".join([f(v) for f, v in zip(fmts, row)]) + "</table:table-row>"
                )
                pending += 1
                if pending >= flush_every:
                    content.write("".join(parts).encode("utf-8"))
                    parts = []
                    pending = 0
            parts.append(_ODS_TAIL)
            content.write("".join(parts).encode("utf-8"))
