"""Distances between places of the referential (town halls, partner towns)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1, lon1, lat2, lon2) -> int:
    """One-way great-circle (haversine) distance in km, R = 6371.0 km, rounded half up to the km
    (the rounding the travel bands of the amount formula are defined on).

    Accepts Decimals, strings, ints or floats (coordinates in decimal degrees).
    """
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlambda = math.radians(float(lon2) - float(lon1))
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return int(Decimal(repr(km)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
