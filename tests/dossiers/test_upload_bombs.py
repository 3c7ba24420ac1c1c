"""Decompression bombs refused (issue 14): a PDF whose streams (Flate content, object streams)
expand beyond the limit, an image declaring too many pixels (PNG, or inside a PDF) — refused in
French, nothing stored. The bombs are built here, small; the limits are lowered so that each test
stays quick (the rule is the same at the default limits)."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError

from fonds.dossiers.documents import add_document
from fonds.dossiers.limits import limits_for
from fonds.dossiers.models import Document
from tests.factories import make_dossier

pytestmark = pytest.mark.django_db
MB = 1 << 20
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]%s >>"


def deflated_zeros(size: int, head: bytes = b"") -> bytes:
    """``head`` then ``size`` zero bytes, deflated a megabyte at a time (never all in memory)."""
    packer = zlib.compressobj(1)
    parts = [packer.compress(head)]
    chunk = b"\0" * MB
    for _ in range(size // MB):
        parts.append(packer.compress(chunk))
    parts.append(packer.compress(b"\0" * (size % MB)))
    parts.append(packer.flush())
    return b"".join(parts)


def stream(data: bytes, entries: bytes = b"/Filter /FlateDecode") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def classic_pdf(*bodies: bytes) -> bytes:
    """A PDF 1.4 whose object n is ``bodies[n-1]``, with a cross-reference table (object 1: catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


def pdf_with_contents(*sizes: int) -> bytes:
    """One page whose contents are Flate streams of ``sizes`` bytes once inflated."""
    first = 4
    contents = b" /Contents [%s]" % b" ".join(b"%d 0 R" % (first + i) for i in range(len(sizes)))
    return classic_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE % contents,
        *[stream(deflated_zeros(size, b"q Q\n")) for size in sizes],
    )


def pdf_with_object_stream(padding: int) -> bytes:
    """A PDF 1.5 whose catalog, page tree and page live in a Flate object stream padded with
    ``padding`` blanks, listed by a cross-reference stream."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE % b""]
    body, pairs = b"", []
    for number, text in enumerate(objects, 1):
        pairs.append(b"%d %d" % (number, len(body)))
        body += text + b"\n"
    header = b" ".join(pairs) + b"\n"
    packer = zlib.compressobj(1)
    data = (
        packer.compress(header + body)
        + b"".join(packer.compress(b" " * MB) for _ in range(padding // MB))
        + packer.flush()
    )
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    at_stream = len(out)
    out += (
        b"4 0 obj\n"
        + stream(data, b"/Type /ObjStm /N 3 /First %d /Filter /FlateDecode" % len(header))
        + b"\nendobj\n"
    )
    at_xref = len(out)
    rows = [(0, 0, 65535), (2, 4, 0), (2, 4, 1), (2, 4, 2), (1, at_stream, 0), (1, at_xref, 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += b"5 0 obj\n" + stream(table, b"/Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R") + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % at_xref
    return bytes(out)


def pdf_with_image(width: int, height: int) -> bytes:
    entries = b"/Type /XObject /Subtype /Image /Width %d /Height %d" % (width, height)
    image = stream(
        b"\xff\xd8\xff\xe0" + b"\0" * 64,
        entries + b" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
    )
    return classic_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE % b" /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R",
        image,
        stream(deflated_zeros(0, b"q 595 0 0 842 0 0 cm /Im1 Do Q\n")),
    )


def png(width: int, height: int, rows: int | None = None) -> bytes:
    """A grey PNG declaring ``width`` × ``height`` pixels; its IDAT holds ``rows`` zero rows
    (all by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = height if rows is None else rows
    packer = zlib.compressobj(1)
    line = b"\0" * (width + 1)  # filter byte + one grey byte per pixel
    idat = b"".join(packer.compress(line) for _ in range(rows)) + packer.flush()
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def dossier():
    return make_dossier(complete=False)


@pytest.fixture
def low_limits(settings):
    """8 MB once decompressed, 4 megapixels: bombs of a few dozen megabytes stay quick to build."""
    settings.FJJ_UPLOAD_MAX_INFLATED_MB = 8
    settings.FJJ_UPLOAD_MAX_IMAGE_MEGAPIXELS = 4


def _upload(dossier, data, name="piece.pdf", kind="deliberation"):
    return add_document(dossier, by=dossier.created_by, kind=kind, name=name, data=data)


def _refused(dossier, data, name="piece.pdf", kind="deliberation") -> str:
    with pytest.raises(ValidationError) as refused:
        _upload(dossier, data, name, kind)
    assert not Document.objects.filter(dossier=dossier).exists()
    return " ".join(refused.value.messages)


def test_pdf_flate_bomb_is_refused(dossier, low_limits):
    bomb = pdf_with_contents(64 * MB)  # 64 MB of content in a file of about 64 kB (pypdf alone allows 75 MB)
    assert len(bomb) < 400_000
    assert "plus de 8 Mo une fois décompressé" in _refused(dossier, bomb)


def test_pdf_many_flate_streams_add_up(dossier, low_limits):
    assert "une fois décompressé" in _refused(dossier, pdf_with_contents(*[3 * MB] * 4))


def test_pdf_object_stream_bomb_is_refused(dossier, low_limits):
    bomb = pdf_with_object_stream(64 * MB)
    assert "une fois décompressé" in _refused(dossier, bomb)


def test_pdf_within_the_limit_is_accepted(dossier, low_limits):
    """The same constructions, small: readable PDFs the checks accept (the bombs are refused for
    their size)."""
    assert _upload(dossier, pdf_with_contents(MB, MB), name="a.pdf").pk
    assert _upload(dossier, pdf_with_object_stream(MB), name="b.pdf", kind="other").pk
    assert _upload(dossier, pdf_with_image(1000, 1000), name="c.pdf", kind="partner_commitment").pk


def test_pdf_image_with_too_many_pixels_is_refused(dossier, low_limits):
    assert "au-delà de 4 millions de pixels" in _refused(dossier, pdf_with_image(5000, 5000))


def test_png_decompression_bomb_is_refused(dossier, low_limits):
    bomb = png(6000, 6000)  # 36 megapixels of zeros in about 150 kB
    assert len(bomb) < 400_000
    assert "6000 × 6000 pixels" in _refused(dossier, bomb, name="rib.png", kind="rib")


def test_png_within_the_limit_is_accepted(dossier, low_limits):
    assert _upload(dossier, png(1000, 1000), name="rib.png", kind="rib").pk


def test_campaign_limit_overrides_the_setting(dossier):
    rules = dossier.campaign.rules
    params = {
        **rules.params,
        "uploads": {**rules.params["uploads"], "max_inflated_mb": 2, "max_image_megapixels": 1},
    }
    rules.new_version(params, note="limites de décompression")
    dossier.campaign._current_rules = None
    assert "plus de 2 Mo une fois décompressé" in _refused(dossier, pdf_with_contents(3 * MB))
    assert "au-delà de 1 millions de pixels" in _refused(dossier, png(1500, 1000), name="rib.png", kind="rib")


def test_default_limits_are_the_settings(settings):
    limits = limits_for({"max_file_mb": 10})
    assert limits.inflated_bytes == settings.FJJ_UPLOAD_MAX_INFLATED_MB * MB
    assert limits.image_pixels == settings.FJJ_UPLOAD_MAX_IMAGE_MEGAPIXELS * 1_000_000
