"""The small map of an event's page: where it happens among the network's places of its
department (or region), drawn as an inline SVG from the coordinates the hub holds.

Web Mercator, the projection of map tiles, so that the same drawing lies on tiles when the
operator names a tile server (`HUB_MAP_TILE_URL`); without one, the page asks no other server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session

from hub.kit import geo
from hub.places.models import Place
from hub.places.service import list_places

WIDTH, HEIGHT, MARGIN = 320, 200, 20
TILE = 256
MAX_ZOOM, MIN_ZOOM = 15, 1
NEIGHBOURS_MAX = 500  # places drawn around the one highlighted
TILES_MAX = 9  # a 320x200 box spans at most 3x2 tiles; bound it all the same
EQUATOR_METRES_PER_PIXEL = 156543.03  # at zoom 0, Web Mercator
SCALE_STEPS_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
SCALE_LONGEST = 100  # pixels


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    name: str


@dataclass(frozen=True)
class Tile:
    href: str
    x: int
    y: int


@dataclass(frozen=True)
class Locator:
    """What the template draws: the highlighted spot, the other places, the tiles under them."""

    here: Dot
    others: list[Dot]
    tiles: list[Tile]
    area: str | None  # the department's or region's name
    scale: str  # a round distance ("10 km")...
    scale_px: float  # ...and its length on the drawing
    width: int = WIDTH
    height: int = HEIGHT


def _pixel(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates at `zoom` (OpenStreetMap's slippy map scheme)."""
    scale = TILE * 2**zoom
    lat = max(min(lat, 85.0511), -85.0511)
    sin = math.sin(math.radians(lat))
    return (lon + 180) / 360 * scale, (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale


def _zoom(points: list[tuple[float, float]]) -> int:
    """The closest zoom at which every point fits inside the margins."""
    for zoom in range(MAX_ZOOM, MIN_ZOOM - 1, -1):
        xs, ys = zip(*(_pixel(lat, lon, zoom) for lat, lon in points), strict=True)
        if max(xs) - min(xs) <= WIDTH - 2 * MARGIN and max(ys) - min(ys) <= HEIGHT - 2 * MARGIN:
            return zoom
    return MIN_ZOOM


def _scale(lat: float, zoom: int) -> tuple[str, float]:
    """The longest round distance that fits the scale bar, and its length in pixels."""
    metres_per_pixel = EQUATOR_METRES_PER_PIXEL * math.cos(math.radians(lat)) / 2**zoom
    fitting = [km for km in SCALE_STEPS_KM if km * 1000 / metres_per_pixel <= SCALE_LONGEST]
    km = fitting[-1] if fitting else SCALE_STEPS_KM[0]
    label = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    return label, round(km * 1000 / metres_per_pixel, 1)


def _tiles(template: str, zoom: int, left: float, top: float) -> list[Tile]:
    last = 2**zoom - 1
    tiles = []
    for ty in range(int(top // TILE), int((top + HEIGHT) // TILE) + 1):
        for tx in range(int(left // TILE), int((left + WIDTH) // TILE) + 1):
            if 0 <= ty <= last and len(tiles) < TILES_MAX:
                href = template.replace("{z}", str(zoom)).replace("{x}", str(tx % (last + 1)))
                tiles.append(
                    Tile(href.replace("{y}", str(ty)), round(tx * TILE - left), round(ty * TILE - top))
                )
    return tiles


def _neighbours(session: Session, department: str | None) -> tuple[list[Place], str | None]:
    """The places of `department` with coordinates, or of its region when it holds fewer than two."""
    if department is None:
        return [], None
    found = list_places(session, limit=NEIGHBOURS_MAX, department=department).items
    name = geo.DEPARTMENTS[department][0] if department in geo.DEPARTMENTS else department
    region = geo.region_of(department)
    if len([p for p in found if p.lat is not None]) < 2 and region is not None:
        found = list_places(session, limit=NEIGHBOURS_MAX, region=region).items
        name = geo.REGIONS.get(region, region)
    return [p for p in found if p.lat is not None and p.lon is not None], name


def locator(
    session: Session,
    *,
    lat: float,
    lon: float,
    name: str,
    department: str | None,
    tile_url: str | None,
) -> Locator | None:
    """The locator of the spot at (`lat`, `lon`), among the places of `department`; None when there
    is neither another place nor a tile to draw around it."""
    places, area = _neighbours(session, department)
    others = [p for p in places if (p.lat, p.lon) != (lat, lon)]
    if not others and not tile_url:
        return None  # a dot alone on a blank ground says nothing
    points = [(lat, lon)] + [(p.lat, p.lon) for p in others]
    zoom = _zoom(points)
    xs, ys = zip(*(_pixel(a, b, zoom) for a, b in points), strict=True)
    left = (max(xs) + min(xs) - WIDTH) / 2
    top = (max(ys) + min(ys) - HEIGHT) / 2

    def dot(a: float, b: float, label: str) -> Dot:
        x, y = _pixel(a, b, zoom)
        return Dot(round(x - left, 1), round(y - top, 1), label)

    scale, scale_px = _scale(lat, zoom)
    return Locator(
        here=dot(lat, lon, name),
        others=[dot(p.lat, p.lon, p.name) for p in others],
        tiles=_tiles(tile_url, zoom, left, top) if tile_url else [],
        area=area,
        scale=scale,
        scale_px=scale_px,
    )
