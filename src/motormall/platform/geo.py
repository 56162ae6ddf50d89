"""Places: `near=LAT,LON` parsing, great-circle distance and bounding boxes."""

from __future__ import annotations

import math

from motormall.platform.errors import Invalid

EARTH_RADIUS_KM = 6371.0088


def parse_near(value: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = value.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise Invalid(
            "invalid_coordinates", "near must be 'LAT,LON' in decimal degrees, e.g. 31.23,121.47"
        ) from None
    check_coordinates(lat, lon)
    return lat, lon


def check_coordinates(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise Invalid("invalid_coordinates", "coordinates must be finite numbers")
    if not -90 <= lat <= 90:
        raise Invalid("coordinate_out_of_range", f"latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise Invalid("coordinate_out_of_range", f"longitude {lon} is outside -180..180")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle; wide near the poles."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(lat))
    dlon = 180.0 if cos_lat < 1e-6 else min(180.0, dlat / cos_lat)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
