"""Small server-rendered SVG charts: no JavaScript, no CDN, readable by screen readers
(each chart has a title and a data table next to it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    gridlines: list[tuple[float, str]]
    baseline: float


def bar_chart(
    values: list[float | None],
    labels: list[str],
    *,
    maximum: float | None = None,
    # A narrow drawing: the chart is shown about 350 to 420 px wide, so its 14 px labels
    # stay close to 14 px instead of shrinking by half as a 640-wide drawing's did.
    width: int = 400,
    height: int = 220,
    fmt: str = "{:.0f}",
    floor: float = 1,
) -> BarChart:
    """Bars for `values` (None draws nothing: no data that week, not zero)."""
    top, bottom, left = 10, 28, 46
    plot_h = height - top - bottom
    known = [v for v in values if v is not None]
    # A floor keeps a week of tiny values from drawing as full-height bars.
    peak = maximum if maximum is not None else max(max(known, default=0), floor)
    slot = (width - left) / max(1, len(values))
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = 0.0 if value is None else plot_h * min(value, peak) / peak
        bars.append(
            Bar(
                x=round(left + i * slot + slot * 0.15, 1),
                y=round(top + plot_h - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                label=label,
                value_label="no data" if value is None else fmt.format(value),
            )
        )
    gridlines = [(round(top + plot_h - plot_h * f, 1), fmt.format(peak * f)) for f in (0, 0.5, 1)]
    return BarChart(
        width=width, height=height, bars=bars, gridlines=gridlines, baseline=top + plot_h
    )
