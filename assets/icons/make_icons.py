#!/usr/bin/env python3
"""Draw the Outpost icon: writes outpost.svg and hicolor/<N>x<N>/apps/outpost.png.

Standard library only (zlib + struct), so it runs where neither PIL nor a real ImageMagick is
installed. The design is defined once below, in a 256 x 256 coordinate space; the SVG is written
from it and every PNG is rasterised from it directly at its own size, anti-aliased by supersampling.
The output is deterministic: running the script again writes the same bytes.

Usage: python3 assets/icons/make_icons.py [OUTPUT_DIR]   (default: this script's directory)
"""

import math
import os
import struct
import sys
import zlib

SIZES = (16, 32, 48, 64, 128, 256)
VIEW = 256.0

TEAL = (0x1F, 0x6F, 0x78)
WHITE = (0xFF, 0xFF, 0xFF)

# The design, painted in order (later shapes cover earlier ones).
#   ("rrect", colour, x0, y0, x1, y1, radius)        rounded rectangle
#   ("poly", colour, [(x, y), ...])                   polygon (even-odd)
#   ("line", colour, (x0, y0), (x1, y1), width)       line with round caps
APEX = (128.0, 62.0)
BASE_L = (46.0, 194.0)
BASE_R = (210.0, 194.0)


def _beyond_apex(base, k):
    """The point a fraction k of the side's length beyond the apex, on the line base -> apex."""
    return (APEX[0] + (APEX[0] - base[0]) * k, APEX[1] + (APEX[1] - base[1]) * k)


SHAPES = [
    # Background tile.
    ("rrect", TEAL, 16.0, 16.0, 240.0, 240.0, 48.0),
    # Tent tips: the two poles crossing above the ridge.
    ("line", WHITE, APEX, _beyond_apex(BASE_L, 0.16), 11.0),
    ("line", WHITE, APEX, _beyond_apex(BASE_R, 0.16), 11.0),
    # Tent.
    ("poly", WHITE, [APEX, BASE_R, BASE_L]),
    # Door: a notch cut out of the tent's front.
    ("poly", TEAL, [(128.0, 118.0), (154.0, 194.0), (102.0, 194.0)]),
]


# ---------------------------------------------------------------------------------------------- SVG

def _hex(c):
    return "#%02x%02x%02x" % c


def _num(v):
    s = ("%.2f" % v).rstrip("0").rstrip(".")
    return s if s != "-0" else "0"


def svg_text():
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">',
        "  <title>Outpost</title>",
    ]
    for shape in SHAPES:
        kind, colour = shape[0], _hex(shape[1])
        if kind == "rrect":
            x0, y0, x1, y1, r = shape[2:]
            out.append(
                '  <rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s"/>'
                % (_num(x0), _num(y0), _num(x1 - x0), _num(y1 - y0), _num(r), colour)
            )
        elif kind == "poly":
            pts = " ".join("%s,%s" % (_num(x), _num(y)) for x, y in shape[2])
            out.append('  <polygon points="%s" fill="%s"/>' % (pts, colour))
        elif kind == "line":
            (x0, y0), (x1, y1), w = shape[2], shape[3], shape[4]
            out.append(
                '  <line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s" stroke-linecap="round"/>'
                % (_num(x0), _num(y0), _num(x1), _num(y1), colour, _num(w))
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------- rasteriser

def _in_rrect(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _in_poly(x, y, pts):
    inside = False
    n = len(pts)
    j = n - 1
    for i in range(n):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_line(x, y, a, b, w):
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)
    t = min(max(t, 0.0), 1.0)
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= (w / 2.0) ** 2


def _bbox(shape):
    kind = shape[0]
    if kind == "rrect":
        return shape[2], shape[3], shape[4], shape[5]
    if kind == "poly":
        xs = [p[0] for p in shape[2]]
        ys = [p[1] for p in shape[2]]
        return min(xs), min(ys), max(xs), max(ys)
    (x0, y0), (x1, y1), w = shape[2], shape[3], shape[4]
    h = w / 2.0
    return min(x0, x1) - h, min(y0, y1) - h, max(x0, x1) + h, max(y0, y1) + h


def _hit(shape, x, y):
    kind = shape[0]
    if kind == "rrect":
        return _in_rrect(x, y, *shape[2:])
    if kind == "poly":
        return _in_poly(x, y, shape[2])
    return _in_line(x, y, shape[2], shape[3], shape[4])


def render(size):
    """RGBA rows (bytes) of the icon at size x size, supersampled ss x ss per pixel."""
    ss = 8 if size <= 64 else 4
    scale = VIEW / size
    boxes = [_bbox(s) for s in SHAPES]
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            a_sum = r_sum = g_sum = b_sum = 0
            for sy in range(ss):
                y = (py + (sy + 0.5) / ss) * scale
                for sx in range(ss):
                    x = (px + (sx + 0.5) / ss) * scale
                    colour = None
                    for shape, (bx0, by0, bx1, by1) in zip(SHAPES, boxes):
                        if bx0 <= x <= bx1 and by0 <= y <= by1 and _hit(shape, x, y):
                            colour = shape[1]
                    if colour is not None:
                        a_sum += 1
                        r_sum += colour[0]
                        g_sum += colour[1]
                        b_sum += colour[2]
            if a_sum == 0:
                row += b"\0\0\0\0"
            else:
                row += bytes(
                    (
                        (r_sum + a_sum // 2) // a_sum,
                        (g_sum + a_sum // 2) // a_sum,
                        (b_sum + a_sum // 2) // a_sum,
                        (255 * a_sum + (ss * ss) // 2) // (ss * ss),
                    )
                )
        rows.append(bytes(row))
    return rows


# -------------------------------------------------------------------------------------------- PNG

def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(size, rows):
    raw = b"".join(b"\0" + r for r in rows)  # filter type 0 (None) on every row
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))  # 8-bit RGBA
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(out_dir, "outpost.svg"), "w", encoding="utf-8", newline="\n") as f:
        f.write(svg_text())
    for size in SIZES:
        d = os.path.join(out_dir, "hicolor", "%dx%d" % (size, size), "apps")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "outpost.png"), "wb") as f:
            f.write(png_bytes(size, render(size)))
        print("wrote %s" % os.path.join(d, "outpost.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
