"""Decompression bombs in uploads: a PDF's streams are measured once decompressed (chunk by chunk,
total bounded by ``max_inflated_mb``) before anything reads the file; an image (in a PDF, or a
PNG/JPEG header) may not declare more than ``max_image_megapixels``. Limits: the campaign's
``rules.params["uploads"]``, else ``FJJ_UPLOAD_MAX_INFLATED_MB`` / ``FJJ_UPLOAD_MAX_IMAGE_MEGAPIXELS``.
"""

from __future__ import annotations

import io
import warnings
import zlib

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError
from pypdf.errors import LimitReachedError
from pypdf.generic import IndirectObject, StreamObject

from .limits import Limits, image_bomb_message, pdf_bomb_message

CHUNK = 1 << 20
FLATE = ("/FlateDecode", "/Fl")
#: image codecs: pypdf hands their data over undecoded; their size is bounded by the pixel check
IMAGE_CODECS = ("/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode")


# ---- images ------------------------------------------------------------------------------------


def check_image_pixels(data: bytes, limits: Limits) -> None:
    """Refuse an image declaring more pixels than the limit. Only the header is read: an image
    Pillow cannot identify is left to the other checks (as before)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        raise ValidationError(image_bomb_message(limits)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return
    if width * height > limits.image_pixels:
        raise ValidationError(image_bomb_message(limits, width, height))


# ---- PDF ---------------------------------------------------------------------------------------


class _OverBudget(Exception):
    pass


def check_pdf_streams(reader, limits: Limits) -> None:
    """Measure every stream of the file's cross-reference table (objects inside object streams
    cannot be streams) before pypdf decodes any of them. ``reader``: a ``pypdf.PdfReader``."""
    remaining = limits.inflated_bytes
    try:
        for generation, objects in list(reader.xref.items()):
            for number in list(objects):
                if number in reader.xref_objStm:
                    continue
                obj = reader.get_object(IndirectObject(number, generation, reader))
                if not isinstance(obj, StreamObject):
                    continue
                _check_image_dictionary(obj, limits)
                remaining -= _decoded_size(obj, remaining)
                if remaining < 0:
                    raise _OverBudget
    except (_OverBudget, LimitReachedError):
        raise ValidationError(pdf_bomb_message(limits)) from None


def _check_image_dictionary(stream, limits: Limits) -> None:
    if stream.get("/Subtype") != "/Image":
        return
    try:
        width, height = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
    except (TypeError, ValueError):
        return
    if width * height > limits.image_pixels:
        raise ValidationError(image_bomb_message(limits, width, height))


def _filters(stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    value = value.get_object() if hasattr(value, "get_object") else value
    if isinstance(value, list):
        return [str(item.get_object() if hasattr(item, "get_object") else item) for item in value]
    return [str(value)]


def _decoded_size(stream, budget: int) -> int:
    """The stream's size once decoded, counted up to just past ``budget``."""
    raw = getattr(stream, "_data", b"") or b""
    filters = _filters(stream)
    if not filters or any(name in IMAGE_CODECS for name in filters):
        return len(raw)
    if all(name in FLATE for name in filters):
        data = raw
        for index in range(len(filters)):
            if index == len(filters) - 1:
                return _inflated_length(data, budget)
            data = _inflate(data, budget)
        return len(data)
    try:
        return len(stream.get_data())  # other filters: pypdf's decoders, bounded by its configuration
    except Exception as exc:  # noqa: BLE001 — a broken stream is judged by the readability checks
        if isinstance(exc, LimitReachedError):
            raise
        return len(raw)


def _inflate_chunks(data: bytes, budget: int):
    """Inflate ``data`` a megabyte at a time, stopping once past ``budget``."""
    inflater = zlib.decompressobj()
    produced = 0
    pending = data
    try:
        while not inflater.eof:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            if not out and not pending:
                return  # the input is exhausted (a truncated stream ends here too)
            produced += len(out)
            yield out
            if produced > budget:
                return
    except zlib.error:
        return  # a damaged stream: what was inflated so far counts; readability is checked later


def _inflated_length(data: bytes, budget: int) -> int:
    return sum(len(chunk) for chunk in _inflate_chunks(data, budget))


def _inflate(data: bytes, budget: int) -> bytes:
    out = b"".join(_inflate_chunks(data, budget))
    if len(out) > budget:
        raise _OverBudget
    return out
