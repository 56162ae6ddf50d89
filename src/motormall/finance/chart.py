"""A small stacked bar chart as server-side SVG (no script, scales to any width). Pure."""

from __future__ import annotations

from html import escape

COLOURS = {"approved": "#2e7d32", "pending": "#f9a825", "declined": "#c62828"}


def stacked_bars(
    weeks: list[dict], *, legend: dict[str, str], title: str, width: int = 640, height: int = 240
) -> str:
    """One bar per week, outcomes stacked; `legend` names each outcome in the reader's
    language. The SVG's viewBox lets CSS shrink it to a 390 px phone."""
    keys = list(COLOURS)
    top = max([sum(w[k] for k in keys) for w in weeks] + [1])
    left, bottom, legend_h = 28, 22, 22
    plot_h = height - bottom - legend_h
    slot = (width - left) / max(len(weeks), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="{legend_h + 10}" font-size="11">{top}</text>',
        f'<line x1="{left}" y1="{legend_h + plot_h}" x2="{width}" y2="{legend_h + plot_h}" '
        'stroke="#888"/>',
    ]
    for i, w in enumerate(weeks):
        x, y = left + i * slot + slot * 0.15, legend_h + plot_h
        for k in keys:
            h = plot_h * w[k] / top
            if h > 0:
                y -= h
                parts.append(
                    f'<rect class="{k}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{COLOURS[k]}"><title>{escape(legend[k])}: '
                    f"{w[k]}</title></rect>"
                )
        label = w["week"].strftime("%m-%d")
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle">{label}</text>'
        )
    for j, k in enumerate(keys):
        x = left + j * 150
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[k]}"/>')
        parts.append(f'<text x="{x + 16}" y="14" font-size="12">{escape(legend[k])}</text>')
    parts.append("</svg>")
    return "".join(parts)
