"""Small inline SVG charts (no JavaScript, no network): agreements over time, counts by category.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); every chart has
a <title> and <desc> for screen readers, and the report shows the same figures as text or a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

# Okabe & Ito (2008), "Color Universal Design"
MODEL_COLOURS = {"JEM": "#E69F00", "TFM": "#0072B2", "WSO": "#009E73", "several": "#CC79A7"}
BAR_COLOUR = "#0072B2"
SECOND_COLOUR = "#D55E00"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    mag = 10 ** (len(str(int(v))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return step * mag
    return 10.0 * mag


def stacked_bars(
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    title: str,
    width: int = 720,
    height: int = 260,
) -> str:
    """Vertical stacked bars, one per label (e.g. quarter), one colour per series (e.g. 287(g) model)."""
    n = len(labels)
    totals = [sum(s[i] for s in series.values()) for i in range(n)]
    top = _nice_max(max(totals, default=0))
    left, right, upper, lower = 48, 10, 28, 46
    pw, ph = width - left - right, height - upper - lower
    bw = pw / max(n, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-labelledby="t-{id(labels)}"><title id="t-{id(labels)}">{escape(title)}</title>',
        f"<desc>{escape(_describe(labels, totals))}</desc>",
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for k in range(5):
        v = top * k / 4
        y = upper + ph - ph * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{v:g}</text>')
    for i, lab in enumerate(labels):
        x = left + i * bw
        base: float = upper + ph
        for name, vals in series.items():
            h = ph * vals[i] / top
            if h > 0:
                colour = MODEL_COLOURS.get(name, BAR_COLOUR)
                parts.append(
                    f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{escape(lab)} {escape(name)}: {vals[i]}</title></rect>'
                )
            base -= h
        step = 1 if n <= 12 else -(-n // 10)  # at most about ten labels
        # every step-th label and the last; none so close to the last that the two overlap
        if i == n - 1 or (i % step == 0 and n - 1 - i >= max(step, 2 if n > 12 else 1)):
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{upper + ph + 14}" font-size="9" text-anchor="middle">'
                f"{escape(lab)}</text>"
            )
    lx = left
    for name in series:
        colour = MODEL_COLOURS.get(name, BAR_COLOUR)
        parts.append(f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 7}" font-size="11">{escape(name)}</text>')
        lx += 20 + 8 * len(name) + 14
    parts.append("</svg>")
    return "".join(parts)


def hbars(
    items: Sequence[tuple[str, float]],
    title: str,
    width: int = 720,
    colour: str = BAR_COLOUR,
    second: Sequence[float] | None = None,
    legend: tuple[str, str] | None = None,
) -> str:
    """Horizontal bars, one per item; optional second series drawn beside each (scenario comparison)."""
    row = 22 if second is None else 30
    label_w = 300
    height = 34 + row * len(items) + (22 if legend else 0)
    top = _nice_max(max([v for _, v in items] + list(second or []), default=0))
    pw = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart">',
        f"<title>{escape(title)}</title><desc>"
        + escape("; ".join(f"{k}: {v:g}" for k, v in items))
        + "</desc>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 28 + i * row
        short = label if len(label) <= 48 else label[:46] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">{escape(short)}</text>'
        )
        w = pw * value / top
        h = 16 if second is None else 12
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{h}" fill="{colour}">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="10">{value:g}</text>')
        if second is not None:
            w2 = pw * second[i] / top
            parts.append(
                f'<rect x="{label_w}" y="{y + 15}" width="{w2:.1f}" height="12" fill="{SECOND_COLOUR}">'
                f"<title>{escape(label)}: {second[i]:g}</title></rect>"
            )
            parts.append(f'<text x="{label_w + w2 + 4:.1f}" y="{y + 25}" font-size="10">{second[i]:g}</text>')
    if legend:
        y = height - 14
        parts.append(f'<rect x="{label_w}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + 14}" y="{y + 9}" font-size="11">{escape(legend[0])}</text>')
        parts.append(f'<rect x="{label_w + 180}" y="{y}" width="10" height="10" fill="{SECOND_COLOUR}"/>')
        parts.append(f'<text x="{label_w + 194}" y="{y + 9}" font-size="11">{escape(legend[1])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def interval_bars(
    items: Sequence[tuple[str, float, float, float]],
    title: str,
    width: int = 720,
    colour: str = BAR_COLOUR,
) -> str:
    """Horizontal bars (mean) with a whisker for an interval (low, high), one row per item; the scale is
    a square root so that small counts stay visible beside large ones (the values are printed)."""
    row = 22
    label_w = 300
    height = 46 + row * len(items)
    top = _nice_max(max([max(m, hi) for _, m, _, hi in items], default=0))
    pw = width - label_w - 120

    def x(v: float) -> float:
        return label_w + pw * (max(v, 0.0) / top) ** 0.5

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart">',
        f"<title>{escape(title)}</title><desc>"
        + escape("; ".join(f"{k}: {m:,.1f} ({lo:,.1f} to {hi:,.1f})" for k, m, lo, hi in items))
        + "</desc>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, mean, lo, hi) in enumerate(items):
        y = 28 + i * row
        short = label if len(label) <= 48 else label[:46] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">{escape(short)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{x(mean) - label_w:.1f}" height="16" fill="{colour}">'
            f"<title>{escape(label)}: {mean:,.1f} ({lo:,.1f} to {hi:,.1f})</title></rect>"
        )
        parts.append(
            f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y + 10}" y2="{y + 10}" stroke="#000" '
            'stroke-width="1.5"/>'
        )
        for v in (lo, hi):
            parts.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{y + 5}" y2="{y + 15}" stroke="#000"/>')
        parts.append(
            f'<text x="{max(x(hi), x(mean)) + 4:.1f}" y="{y + 14}" font-size="10">{mean:,.0f} '
            f"({lo:,.0f}–{hi:,.0f})</text>"
        )
    parts.append(
        f'<text x="{label_w}" y="{height - 4}" font-size="10">'
        "square-root scale; whiskers: 95% interval</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _describe(labels: Sequence[str], totals: Sequence[int]) -> str:
    if not labels:
        return "no data"
    return f"from {labels[0]} ({totals[0]}) to {labels[-1]} ({totals[-1]}); peak {max(totals)}"
