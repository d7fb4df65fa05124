"""Charts drawn on the server as SVG (matplotlib, Agg): no JavaScript, nothing from a CDN.

matplotlib is imported on first use, not when Django starts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import cycle
from typing import Any

COLOURS = ("#417690", "#d9822b", "#5b8c5a", "#a64d79", "#7f7f7f", "#c0504d", "#4bacc6", "#8064a2")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Text stays text (smaller, searchable, in the page's font); no timestamp in the file.
    # Labels (annotator names) are plain text, never mathtext.
    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "text.parse_math": False})
    return plt


def _svg(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    # No metadata block: no date (stable output), no links to matplotlib's site.
    no_metadata = dict.fromkeys(("Creator", "Date", "Format", "Type"))
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=no_metadata)
    plt.close(fig)
    svg = buffer.getvalue()
    # Drop the XML prologue and DOCTYPE: the SVG is inlined in an HTML page.
    return svg[svg.index("<svg") :]


def metrics_over_versions(
    versions: Sequence[int], series: Mapping[str, Sequence[float]], active: int | None
) -> str:
    """One line per metric across model versions, the active one marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    for (name, values), colour in zip(series.items(), cycle(COLOURS)):
        ax.plot(versions, values, marker="o", label=name, color=colour)
    if active in versions:
        ax.axvline(active, color="#999", linestyle="--", linewidth=1)
        ax.annotate("active", (active, 1.0), ha="center", va="bottom", color="#666")
    ax.set_xlabel("model version")
    ax.set_ylim(0, 1.05)
    ax.set_xticks(list(versions))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", frameon=False)
    return _svg(fig)


def annotations_per_day(days: Sequence[date], per_person: Mapping[str, Sequence[int]]) -> str:
    """Stacked bars: annotations per day, one colour per annotator."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 2.8))
    bottom = [0] * len(days)
    for (name, counts), colour in zip(per_person.items(), cycle(COLOURS)):
        ax.bar(days, counts, bottom=bottom, label=name, color=colour, width=0.8)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylabel("annotations")
    ax.grid(alpha=0.3, axis="y")
    if per_person:
        ax.legend(loc="upper left", frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return _svg(fig)


def drift_over_time(
    hours: Sequence[datetime], series: Mapping[str, Sequence[float]], threshold: float
) -> str:
    """One line per drift measure (PSI against the training-time figures), hour by hour."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 2.8))
    for (name, values), colour in zip(series.items(), cycle(COLOURS)):
        ax.plot(hours, values, marker="o", markersize=3, label=name, color=colour)
    ax.axhline(threshold, color="#c0504d", linestyle="--", linewidth=1)
    ax.annotate("alarm", (hours[0], threshold), va="bottom", color="#c0504d")
    ax.set_ylabel("PSI")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return _svg(fig)
