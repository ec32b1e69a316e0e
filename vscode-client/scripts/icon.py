"""Draws media/icon.png (256x256, the Marketplace's and Open VSX's icon): three assets joined as a lineage
on a rounded square, anti-aliased by 4x4 supersampling, written with zlib (no imaging library needed).

Run: python3 vscode-client/scripts/icon.py
"""

import math
import struct
import zlib
from pathlib import Path

SIZE, SAMPLES = 256, 4
BACKGROUND = (79, 67, 221)  # indigo
INK = (255, 255, 255)
NODES = [(72, 88), (72, 168), (184, 128)]  # two upstream assets feeding one downstream
RADIUS, LINE, CORNER = 26, 10, 48


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _inside_rounded_square(x: float, y: float) -> bool:
    cx = min(max(x, CORNER), SIZE - CORNER)
    cy = min(max(y, CORNER), SIZE - CORNER)
    return math.hypot(x - cx, y - cy) <= CORNER


def _ink(x: float, y: float) -> bool:
    if any(math.hypot(x - nx, y - ny) <= RADIUS for nx, ny in NODES):
        return True
    down = NODES[2]
    return any(_segment_distance(x, y, nx, ny, *down) <= LINE / 2 for nx, ny in NODES[:2])


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    """RGBA of one pixel: the share of its subsamples inside the square, and of those, inside the ink."""
    inside = ink = 0
    for i in range(SAMPLES):
        for j in range(SAMPLES):
            sx, sy = x + (i + 0.5) / SAMPLES, y + (j + 0.5) / SAMPLES
            if _inside_rounded_square(sx, sy):
                inside += 1
                ink += _ink(sx, sy)
    if not inside:
        return (0, 0, 0, 0)
    share = ink / inside
    rgb = tuple(round(b + (i - b) * share) for b, i in zip(BACKGROUND, INK))
    return (*rgb, round(255 * inside / SAMPLES**2))


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    rows = [b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)]
    out = Path(__file__).resolve().parent.parent / "media" / "icon.png"
    out.write_bytes(png(SIZE, SIZE, rows))
    print(f"{out}: {out.stat().st_size} bytes")
