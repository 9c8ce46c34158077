"""Chart primitives for the HTML report: inline SVG built as plain strings.

Every function is pure (no IO) and deterministic: coordinates are rounded to one decimal and
written without trailing zeros, so the same input gives the same bytes. Every piece of text that
comes from the caller is escaped with :func:`esc` (text and attribute values alike), so a city
named ``<script>…`` ends up as text in the SVG, never as markup.

Hover details need no JavaScript: each bar, cell and point carries an SVG ``<title>``, which
browsers show as a tooltip. The charts take their font from the page (CSS ``font-family``), so
Chinese is rendered by the browser's fonts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from citystd.report.numbers import fixed

#: text colour on a fill, for contrast (dark text on light fills)
DARK, LIGHT = "#1f2933", "#ffffff"


def esc(text: object) -> str:
    """Escape text for an HTML/SVG text node or a quoted attribute value."""
    return escape(str(text), quote=True)


def num(x: float) -> str:
    """A coordinate: rounded to 0.1, no trailing ``.0`` (deterministic, compact)."""
    r = round(x, 1)
    if r == int(r):
        return str(int(r))
    return f"{r:.1f}"


def text_width(text: str, font_px: float) -> float:
    """Approximate rendered width: CJK and full-width characters 1 em, others about 0.53 em."""
    w = 0.0
    for ch in text:
        o = ord(ch)
        w += 1.0 if (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF) else 0.53
    return w * font_px


def clip(text: str, max_px: float, font_px: float) -> str:
    """``text`` shortened with an ellipsis to fit ``max_px`` (by :func:`text_width`)."""
    if text_width(text, font_px) <= max_px:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", font_px) > max_px:
            break
        out += ch
    return out.rstrip() + "…"


def wrap(text: str, max_px: float, font_px: float) -> list[str]:
    """``text`` on one line, or two balanced lines (split at a space, or anywhere in CJK text),
    each clipped to ``max_px``."""
    if text_width(text, font_px) <= max_px:
        return [text]
    words = text.split(" ") if " " in text else list(text)
    sep = " " if " " in text else ""
    best: tuple[float, list[str]] = (math.inf, [text])
    for k in range(1, len(words)):
        pair = [sep.join(words[:k]), sep.join(words[k:])]
        widest = max(text_width(p, font_px) for p in pair)
        if widest < best[0]:
            best = (widest, pair)
    return [clip(p, max_px, font_px) for p in best[1]]


def _title(text: str) -> str:
    return f"<title>{esc(text)}</title>" if text else ""


def _svg_open(width: float, height: float, css_class: str, label: str) -> str:
    return (f'<svg class="{esc(css_class)}" role="img" '
            f'aria-label="{esc(label)}" width="{num(width)}" height="{num(height)}" '
            f'viewBox="0 0 {num(width)} {num(height)}">')


@dataclass(frozen=True)
class Bar:
    """One bar of :func:`bar_chart`."""

    label: str
    value: float | None
    fill: str
    title: str = ""
    text: str = ""  # shown after the bar (e.g. the formatted score)
    prefix: str = ""  # shown before the label (e.g. the rank)
    css_class: str = "bar"
    low: float | None = None  # an interval drawn as a whisker over the bar (e.g. a confidence interval)
    high: float | None = None


def bar_chart(bars: Sequence[Bar], *, vmin: float = 0.0, vmax: float = 100.0, width: float = 760,
              label_width: float = 170, bar_height: float = 16, gap: float = 4, font_px: float = 12,
              ticks: Sequence[float] = (), label: str = "", css_class: str = "chart bars") -> str:
    """A horizontal bar chart, one row per bar, with vertical grid lines at ``ticks``.

    Bars start at 0 (or ``vmin`` when it is positive) so negative values point left. A bar whose
    value is ``None`` is drawn as an empty row with ``—``.
    """
    top, right = 18.0, 48.0
    plot = width - label_width - right
    span = (vmax - vmin) or 1.0

    def x(v: float) -> float:
        return label_width + (min(max(v, vmin), vmax) - vmin) / span * plot

    zero = x(max(vmin, 0.0) if vmin <= 0 <= vmax or vmin > 0 else vmax)
    height = top + len(bars) * (bar_height + gap) + 4
    parts = [_svg_open(width, height, css_class, label)]
    for t in ticks:
        tx = num(x(t))
        parts.append(f'<line class="grid" x1="{tx}" x2="{tx}" y1="{num(top - 4)}" y2="{num(height - 2)}"/>'
                     f'<text class="tick" x="{tx}" y="{num(top - 7)}" text-anchor="middle">{esc(_fmt_tick(t))}</text>')
    for i, b in enumerate(bars):
        y = top + i * (bar_height + gap)
        cy = num(y + bar_height / 2 + font_px * 0.35)
        name = clip(b.label, label_width - 12 - text_width(b.prefix, font_px), font_px)
        prefix = f'<tspan class="muted">{esc(b.prefix)}</tspan> ' if b.prefix else ""
        parts.append(f'<text class="lbl" x="{num(label_width - 8)}" y="{cy}" text-anchor="end">'
                     f'{prefix}{esc(name)}</text>')
        if b.value is None or (isinstance(b.value, float) and math.isnan(b.value)):
            parts.append(f'<text class="val" x="{num(zero + 4)}" y="{cy}">—</text>')
            continue
        x0, x1 = sorted((zero, x(b.value)))
        parts.append(f'<rect class="{esc(b.css_class)}" x="{num(x0)}" y="{num(y)}" width="{num(max(x1 - x0, 0.5))}" '
                     f'height="{num(bar_height)}" fill="{esc(b.fill)}">{_title(b.title)}</rect>')
        end = x1
        if b.low is not None and b.high is not None and not (math.isnan(b.low) or math.isnan(b.high)):
            lo, hi = x(b.low), x(b.high)
            my, cap = y + bar_height / 2, bar_height * 0.3
            parts.append(f'<path class="whisker" d="M{num(lo)} {num(my)}H{num(hi)}M{num(lo)} {num(my - cap)}'
                         f'V{num(my + cap)}M{num(hi)} {num(my - cap)}V{num(my + cap)}" stroke="{DARK}" fill="none">'
                         f"{_title(b.title)}</path>")
            end = max(end, hi)
        if b.text:
            parts.append(f'<text class="val" x="{num(end + 4)}" y="{cy}">{esc(b.text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Interval:
    """One row of :func:`interval_chart`: a range with a dot (e.g. the median) and a mark (the nominal value)."""

    label: str
    low: float | None
    high: float | None
    dot: float | None = None
    mark: float | None = None
    title: str = ""
    prefix: str = ""  # shown before the label (e.g. the nominal rank)
    css_class: str = "interval"


def interval_chart(rows: Sequence[Interval], *, vmin: float, vmax: float, width: float = 760,
                   label_width: float = 170, row_height: float = 14, font_px: float = 11,
                   ticks: Sequence[float] = (), reverse: bool = False, stroke: str = "#1f4e79",
                   mark_fill: str = "#d55e00", label: str = "", css_class: str = "chart intervals") -> str:
    """One row per ``rows``: a bar from ``low`` to ``high``, a dot at ``dot`` and a diamond at ``mark``.

    The axis runs from ``vmin`` on the left to ``vmax`` (the other way round with ``reverse``).
    Rows without an interval show ``—``; each row's ``title`` is its tooltip.
    """
    top, right = 18.0, 16.0
    plot = width - label_width - right
    span = (vmax - vmin) or 1.0

    def x(v: float) -> float:
        f = (min(max(v, vmin), vmax) - vmin) / span
        return label_width + (1 - f if reverse else f) * plot

    height = top + len(rows) * row_height + 4
    parts = [_svg_open(width, height, css_class, label)]
    for t in ticks:
        tx = num(x(t))
        parts.append(f'<line class="grid" x1="{tx}" x2="{tx}" y1="{num(top - 4)}" y2="{num(height - 2)}"/>'
                     f'<text class="tick" x="{tx}" y="{num(top - 7)}" text-anchor="middle">{esc(_fmt_tick(t))}</text>')
    half = row_height / 2
    for i, r in enumerate(rows):
        y = top + i * row_height
        cy = num(y + half + font_px * 0.35)
        name = clip(r.label, label_width - 12 - text_width(r.prefix, font_px), font_px)
        prefix = f'<tspan class="muted">{esc(r.prefix)}</tspan> ' if r.prefix else ""
        parts.append(f'<text class="lbl" x="{num(label_width - 8)}" y="{cy}" text-anchor="end">{prefix}{esc(name)}'
                     "</text>")
        if r.low is None or r.high is None:
            parts.append(f'<text class="val" x="{num(label_width + 4)}" y="{cy}">—</text>')
            continue
        x0, x1 = sorted((x(r.low), x(r.high)))
        my = y + half
        parts.append(f'<g class="{esc(r.css_class)}">{_title(r.title)}'
                     f'<rect x="{num(x0)}" y="{num(my - 2.5)}" width="{num(max(x1 - x0, 1.5))}" height="5" '
                     f'fill="{esc(stroke)}" fill-opacity="0.35"/>')
        if r.dot is not None:
            parts.append(f'<circle cx="{num(x(r.dot))}" cy="{num(my)}" r="3.2" fill="{esc(stroke)}"/>')
        if r.mark is not None:
            mx = x(r.mark)
            parts.append(f'<path d="M{num(mx)} {num(my - 4.5)}L{num(mx + 4.5)} {num(my)}L{num(mx)} {num(my + 4.5)}'
                         f'L{num(mx - 4.5)} {num(my)}Z" fill="{esc(mark_fill)}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def diverging(r: float | None) -> str:
    """A fill for a correlation r ∈ [−1, 1]: blue for positive, red for negative, white at 0 (gray: none)."""
    if r is None or (isinstance(r, float) and math.isnan(r)):
        return "#e4e7eb"
    f = min(abs(r), 1.0)
    base = (31, 78, 121) if r >= 0 else (215, 48, 31)
    return "#" + "".join(f"{round(255 + (c - 255) * f):02x}" for c in base)


def _fmt_tick(t: float) -> str:
    return str(int(t)) if t == int(t) else f"{t:g}"


@dataclass(frozen=True)
class RadarSeries:
    """One polygon of :func:`radar`; ``None`` values sit at the centre and get no point."""

    name: str
    values: Sequence[float | None]
    stroke: str
    fill: str = "none"
    dashed: bool = False
    css_class: str = "radar-series"
    titles: Sequence[str] = ()  # tooltip per vertex


def _radar_geometry(n: int, size: float) -> tuple[float, float, float]:
    cx, cy = size / 2, size / 2
    return cx, cy, size / 2 - 4


def _radar_point(i: int, n: int, frac: float, size: float, pad_x: float, pad_y: float) -> tuple[float, float]:
    cx, cy, r = _radar_geometry(n, size)
    a = -math.pi / 2 + 2 * math.pi * i / n
    return pad_x + cx + r * frac * math.cos(a), pad_y + cy + r * frac * math.sin(a)


RADAR_PAD_X, RADAR_PAD_Y = 160.0, 36.0


def radar_shapes(n: int, series: Sequence[RadarSeries], *, vmin: float = 0.0, vmax: float = 100.0,
                 size: float = 260) -> str:
    """The polygons (and, with ``titles``, the points) of ``series`` on an ``n``-axis radar."""
    span = (vmax - vmin) or 1.0
    parts = []
    for s in series:
        pts = []
        dots = []
        for i, v in enumerate(s.values):
            frac = 0.0 if v is None else min(max((v - vmin) / span, 0.0), 1.0)
            px, py = _radar_point(i, n, frac, size, RADAR_PAD_X, RADAR_PAD_Y)
            pts.append(f"{num(px)},{num(py)}")
            if v is not None and s.titles:
                dots.append(f'<circle class="pt" cx="{num(px)}" cy="{num(py)}" r="3" fill="{esc(s.stroke)}">'
                            f"{_title(s.titles[i])}</circle>")
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        parts.append(f'<polygon class="{esc(s.css_class)}" points="{" ".join(pts)}" fill="{esc(s.fill)}" '
                     f'stroke="{esc(s.stroke)}"{dash}>{_title(s.name)}</polygon>')
        parts.extend(dots)
    return "".join(parts)


def radar_grid(axes: Sequence[str], *, size: float = 260, font_px: float = 11, grid_id: str = "",
               background: Sequence[RadarSeries] = (), vmin: float = 0.0, vmax: float = 100.0) -> str:
    """Rings at 25/50/75/100 %, spokes, wrapped axis labels and the ``background`` series (e.g. the
    median of all cities), as one ``<g>`` (no ``<svg>``).

    With ``grid_id`` the group gets that id, so many radars can share it with ``<use href>``.
    """
    n = len(axes)
    px, py = RADAR_PAD_X, RADAR_PAD_Y
    gid = f' id="{esc(grid_id)}"' if grid_id else ""
    parts = [f'<g class="radar-grid"{gid}>']
    for frac in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{num(a)},{num(b)}" for a, b in (_radar_point(i, n, frac, size, px, py) for i in range(n)))
        parts.append(f'<polygon class="ring" points="{pts}" fill="none" stroke="#d9e2ec"/>')
    cx, cy, _ = _radar_geometry(n, size)
    for i, name in enumerate(axes):
        ex, ey = _radar_point(i, n, 1.0, size, px, py)
        parts.append(f'<line class="spoke" x1="{num(px + cx)}" y1="{num(py + cy)}" x2="{num(ex)}" y2="{num(ey)}" stroke="#d9e2ec"/>')
        lx, ly = _radar_point(i, n, 1.09, size, px, py)
        dx = lx - (px + cx)
        anchor = "middle" if abs(dx) < 8 else ("start" if dx > 0 else "end")
        lines = wrap(name, RADAR_PAD_X - 16, font_px)
        dy0 = -(len(lines) - 1) * font_px * 0.55 + font_px * 0.35
        if ly < py + cy - size / 2 + 8:
            dy0 -= (len(lines) - 1) * font_px * 0.55
        elif ly > py + cy + size / 2 - 8:
            dy0 += (len(lines) - 1) * font_px * 0.55
        spans = "".join(f'<tspan x="{num(lx)}" dy="{num(dy0 if k == 0 else font_px * 1.1)}">{esc(t)}</tspan>'
                        for k, t in enumerate(lines))
        parts.append(f'<text class="axis" x="{num(lx)}" y="{num(ly)}" text-anchor="{anchor}" font-size="{num(font_px)}" fill="#3e4c59">{spans}<title>{esc(name)}</title></text>')
    parts.append(radar_shapes(n, background, vmin=vmin, vmax=vmax, size=size))
    parts.append("</g>")
    return "".join(parts)


def radar_size(size: float = 260) -> tuple[float, float]:
    """Width and height of the ``<svg>`` of :func:`radar` for a given plot ``size``."""
    return size + 2 * RADAR_PAD_X, size + 2 * RADAR_PAD_Y


def radar(axes: Sequence[str], series: Sequence[RadarSeries], *, vmin: float = 0.0, vmax: float = 100.0,
          size: float = 260, background: Sequence[RadarSeries] = (), grid_ref: str = "", label: str = "",
          css_class: str = "chart radar") -> str:
    """A radar (spider) chart of ``series`` over ``axes`` (at least 3), over ``background`` series.

    With ``grid_ref`` the grid and background are not drawn but referenced (``<use href>``): the
    page must hold one :func:`radar_grid` with that id, the same axes, size and background.
    """
    n = len(axes)
    if n < 3:
        raise ValueError("a radar needs at least 3 axes")
    w, h = radar_size(size)
    parts = [_svg_open(w, h, css_class, label)]
    parts.append(f'<use href="#{esc(grid_ref)}"/>' if grid_ref else
                 radar_grid(axes, size=size, background=background, vmin=vmin, vmax=vmax))
    parts.append(radar_shapes(n, series, vmin=vmin, vmax=vmax, size=size))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Cell:
    """One cell of :func:`grid_chart`."""

    fill: str
    text: str = ""
    title: str = ""
    css_class: str = ""
    ink: str = DARK  # text colour


def grid_chart(rows: Sequence[str], cols: Sequence[str], cells: Sequence[Sequence[Cell]], *,
               row_label_width: float = 170, cell_width: float = 44, cell_height: float = 18,
               max_header: float = 240, split_after: int = 0, font_px: float = 11, label: str = "",
               css_class: str = "chart dashboard") -> str:
    """A dashboard: one row per ``rows`` label, one coloured cell per column (SDSN style).

    Column labels are written at -50° above the grid (clipped to ``max_header`` px); a gap
    separates the first ``split_after`` columns (e.g. the overall score) from the others. Each
    cell has a tooltip and a short text.
    """
    longest = max((min(text_width(c, font_px), max_header) for c in cols), default=0.0)
    header_height = longest * math.sin(math.radians(50)) + 16
    gap = 8.0 if split_after else 0.0

    def cx(j: int) -> float:
        return row_label_width + j * cell_width + (gap if split_after and j >= split_after else 0.0)

    width = cx(len(cols)) + longest * math.cos(math.radians(50)) + 8
    height = header_height + len(rows) * cell_height + 4
    parts = [_svg_open(width, height, css_class, label)]
    for j, name in enumerate(cols):
        x = cx(j) + cell_width / 2
        y = header_height - 6
        short = clip(name, max_header, font_px)
        parts.append(f'<text class="colhead" transform="translate({num(x)},{num(y)}) rotate(-50)">'
                     f"{esc(short)}<title>{esc(name)}</title></text>")
    w, h = num(cell_width - 2), num(cell_height - 2)
    ty = num(cell_height / 2 + font_px * 0.36 - 1)
    for i, (name, row) in enumerate(zip(rows, cells, strict=True)):
        # one group per row: cells need only x; the numbers share one <text> (a <tspan> per cell)
        parts.append(f'<g transform="translate(0,{num(header_height + i * cell_height + 1)})">'
                     f'<text class="lbl" x="{num(row_label_width - 8)}" y="{ty}" text-anchor="end">'
                     f"{esc(clip(name, row_label_width - 10, font_px))}</text>")
        spans = []
        for j, c in enumerate(row):
            x = cx(j)
            cls = f' class="{esc(c.css_class)}"' if c.css_class else ""
            parts.append(f'<rect{cls} x="{num(x + 1)}" width="{w}" height="{h}" fill="{esc(c.fill)}">'
                         f"{_title(c.title)}</rect>")
            if c.text:
                ink = f' fill="{esc(c.ink)}"' if c.ink != DARK else ""
                spans.append(f'<tspan x="{num(x + cell_width / 2)}"{ink}>{esc(c.text)}</tspan>')
        if spans:
            parts.append(f'<text class="ct" y="{ty}" text-anchor="middle" fill="{DARK}">{"".join(spans)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Line:
    """One series of :func:`line_chart`; ``None`` breaks the line."""

    name: str
    values: Sequence[float | None]
    stroke: str
    width: float = 2.0
    dashed: bool = False
    points: bool = True  # draw a point (with tooltip) per value
    end_label: bool = True
    css_class: str = "line"


def line_chart(xs: Sequence[int], series: Sequence[Line], *, vmin: float = 0.0, vmax: float = 100.0,
               width: float = 760, height: float = 300, font_px: float = 11, ticks: Sequence[float] = (),
               label: str = "", css_class: str = "chart lines") -> str:
    """A line chart over integer ``xs`` (years), with horizontal grid lines at ``ticks``."""
    left, right, top, bottom = 40.0, 150.0, 12.0, 26.0
    pw, ph = width - left - right, height - top - bottom
    span = (vmax - vmin) or 1.0

    def X(i: int) -> float:
        return left + (pw * i / (len(xs) - 1) if len(xs) > 1 else pw / 2)

    def Y(v: float) -> float:
        return top + ph - (min(max(v, vmin), vmax) - vmin) / span * ph

    parts = [_svg_open(width, height, css_class, label)]
    for t in ticks:
        parts.append(f'<line class="grid" x1="{num(left)}" x2="{num(left + pw)}" y1="{num(Y(t))}" y2="{num(Y(t))}"/>'
                     f'<text class="tick" x="{num(left - 6)}" y="{num(Y(t) + 4)}" text-anchor="end">{esc(_fmt_tick(t))}</text>')
    for i, year in enumerate(xs):
        parts.append(f'<text class="tick" x="{num(X(i))}" y="{num(height - 8)}" text-anchor="middle">{esc(year)}</text>')
    labels: list[tuple[float, int, Line]] = []  # (wanted y, order, series)
    for k, s in enumerate(series):
        seg: list[str] = []
        segs: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if seg:
                    segs.append(seg)
                seg = []
            else:
                seg.append(f"{num(X(i))},{num(Y(v))}")
        if seg:
            segs.append(seg)
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        for sg in segs:
            parts.append(f'<polyline class="{esc(s.css_class)}" points="{" ".join(sg)}" fill="none" '
                         f'stroke="{esc(s.stroke)}" stroke-width="{num(s.width)}"{dash}>{_title(s.name)}</polyline>')
        if s.points:
            for i, v in enumerate(s.values):
                if v is not None:
                    parts.append(f'<circle class="pt" cx="{num(X(i))}" cy="{num(Y(v))}" r="3" fill="{esc(s.stroke)}">'
                                 f"{_title(f'{s.name} · {xs[i]}: {fixed(v, 1)}')}</circle>")
        last = next(((i, v) for i, v in reversed(list(enumerate(s.values))) if v is not None), None)
        if s.end_label and last is not None:
            labels.append((Y(last[1]) + 4, k, s))
    # end labels in the order of their lines, pushed apart so that they do not overlap
    placed: list[float] = []
    for want, _, s in sorted(labels, key=lambda item: (item[0], item[1])):
        ly = max(want, placed[-1] + font_px + 1) if placed else want
        placed.append(ly)
        parts.append(f'<text class="lbl" x="{num(X(len(xs) - 1) + 8)}" y="{num(ly)}" fill="{esc(s.stroke)}">'
                     f"{esc(clip(s.name, right - 12, font_px))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def nice_range(values: Sequence[float | None], lo: float, hi: float, max_ticks: int = 6) -> tuple[float, float, list[float]]:
    """An axis range around ``values`` within [``lo``, ``hi``], with round tick values."""
    vals = [v for v in values if v is not None]
    if not vals:
        return lo, hi, [lo + (hi - lo) * k / 4 for k in range(5)]
    span = max(max(vals) - min(vals), (hi - lo) * 0.05)
    step = next((s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000)
                 if (span * 1.2) / s <= max_ticks - 1), 10 ** math.ceil(math.log10(span)))
    a = max(lo, math.floor((min(vals) - span * 0.1) / step) * step)
    b = min(hi, math.ceil((max(vals) + span * 0.1) / step) * step)
    if b <= a:
        b = a + step
    ticks = []
    t = a
    while t <= b + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return a, b, ticks
