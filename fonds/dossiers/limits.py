"""Decompression limits of an upload: the campaign's figures (or the settings' defaults) and the
French messages that refuse a file beyond them. Light on purpose: no PDF or image library here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    inflated_bytes: int
    image_pixels: int

    @property
    def inflated_mb(self) -> int:
        return self.inflated_bytes // (1024 * 1024)

    @property
    def image_megapixels(self) -> int:
        return self.image_pixels // 1_000_000


def limits_for(upload_params: dict | None = None) -> Limits:
    params = upload_params or {}
    inflated = params.get("max_inflated_mb") or getattr(settings, "FJJ_UPLOAD_MAX_INFLATED_MB", 200)
    pixels = params.get("max_image_megapixels") or getattr(settings, "FJJ_UPLOAD_MAX_IMAGE_MEGAPIXELS", 60)
    return Limits(int(inflated) * 1024 * 1024, int(pixels) * 1_000_000)


def pdf_bomb_message(limits: Limits) -> str:
    return (
        f"Ce PDF occupe plus de {limits.inflated_mb} Mo une fois décompressé : il est refusé par sécurité. "
        "Imprimez-le en PDF (ou numérisez-le à nouveau) puis déposez-le à nouveau."
    )


def image_bomb_message(limits: Limits, width: int | None = None, height: int | None = None) -> str:
    size = f"{width} × {height} pixels" if width and height else "trop de pixels"
    return (
        f"Cette image compte {size}, au-delà de {limits.image_megapixels} millions de pixels : "
        "réduisez sa définition (par exemple en la numérisant à 300 points par pouce) "
        "puis déposez-la à nouveau."
    )
