"""The lineage figure: runs (and the outside models they started from) as boxes in rows, an arrow from
each upstream run or model to the run that used it.

Outside datasets (tasks, data files, hub datasets) are written inside the box of the run that read them
rather than drawn as boxes of their own: most runs read one or two, and as boxes their arrows would cross the
whole figure. A dataset that is itself a run of the folder (a rejection-sampled set, say) is a box, and its
arrow is dashed. The layout is a small layered drawing: a run stands one row below its lowest upstream, an
outside model one row above its first user; within a row the boxes are ordered by where their neighbours
stand (the barycentre heuristic, swept both ways) so that arrows cross little. A row of more than ACROSS boxes
(twenty evals of one model, say) wraps onto several rows, so the figure grows down rather than across; the
arrows of one source that pass a row share one waypoint there, so wrapping adds no width.
"""

from __future__ import annotations

import textwrap
from itertools import pairwise
from pathlib import Path

from r1cli.stages.report.collect import Edge, Found

WRAP = 30  # characters per line of a box's label
MAX_DATA = 3  # outside datasets listed in a box; more are counted
SWEEPS = 4
FONT_SIZE = 7.5
PAD = 0.45  # a box's padding around its text, in font sizes
ACROSS = 5  # boxes a row holds before it wraps: with a waypoint or two, about 2,000 px at the figure's dpi


def graph(found: Found) -> tuple[list[str], list[Edge], dict[str, list[str]]]:
    """(the boxes, the arrows between them, the outside datasets each run read)."""
    outside_data = {e.src for e in found.edges if found.nodes[e.src].run is None and e.kind == "dataset"}
    outside_other = {e.src for e in found.edges if found.nodes[e.src].run is None and e.kind != "dataset"}
    text_only = outside_data - outside_other
    boxes = [key for key in found.nodes if key not in text_only]
    arrows = [e for e in found.edges if e.src not in text_only]
    data: dict[str, list[str]] = {}
    for e in found.edges:
        if e.src in text_only:
            data.setdefault(e.dst, []).append(found.nodes[e.src].label)
    return boxes, arrows, data


def layers(found: Found, boxes: list[str], arrows: list[Edge]) -> dict[str, int]:
    """Each box's row, top first: a run one row below its lowest upstream run, an outside model one row
    above its first user."""
    from graphlib import TopologicalSorter

    into: dict[str, list[str]] = {r.name: [] for r in found.runs}
    for e in arrows:
        if found.nodes[e.src].run is not None:
            into[e.dst].append(e.src)
    row: dict[str, int] = {}
    for name in TopologicalSorter(into).static_order():  # upstreams first, whatever their clocks said
        row[name] = 1 + max((row[s] for s in into[name]), default=0)
    for key in boxes:
        if found.nodes[key].run is None:
            row[key] = min(row[e.dst] for e in arrows if e.src == key) - 1
    # drop empty rows, and wrap a wide one: its boxes, in start order, fill rows of ACROSS; every arrow still
    # points down, as the rows below move down with it
    wrapped, top = {}, 0
    for r in sorted(set(row.values())):
        members = [key for key in boxes if row[key] == r]
        for i, key in enumerate(members):
            wrapped[key] = top + i // ACROSS
        top += -(-len(members) // ACROSS)
    return wrapped


def route(boxes: list[str], arrows: list[Edge], row: dict[str, int]) -> tuple[list[list[str]], list[list[str]]]:
    """(the slots of each row, left to right; each arrow's path of slots). An arrow that skips rows gets a
    waypoint slot in each row it crosses, so that it runs between the boxes rather than through them; the
    arrows of one kind from one source share theirs."""
    rows: list[list[str]] = [[] for _ in range(max(row.values()) + 1)]
    for key in boxes:  # runs in start order, then outside models in order of first use
        rows[row[key]].append(key)
    paths, pred, succ = [], {k: [] for k in boxes}, {k: [] for k in boxes}
    for e in arrows:
        path = [e.src] + [f"\0{e.src}/{e.kind}/{r}" for r in range(row[e.src] + 1, row[e.dst])] + [e.dst]
        for r, key in enumerate(path[1:-1], start=row[e.src] + 1):
            if key not in pred:
                rows[r].append(key)
                pred[key], succ[key] = [], []
        for a, b in pairwise(path):
            succ[a].append(b)
            pred[b].append(a)
        paths.append(path)
    for _ in range(SWEEPS):
        for sweep, neighbours in ((range(1, len(rows)), pred), (range(len(rows) - 2, -1, -1), succ)):
            for r in sweep:
                x = _positions(rows)
                rows[r].sort(key=lambda k: _mean([x[n] for n in neighbours[k]], x[k]))
    return rows, paths


def _positions(rows: list[list[str]]) -> dict[str, float]:
    """Horizontal position of every slot, each row centred on 0."""
    return {key: i - (len(r) - 1) / 2 for r in rows for i, key in enumerate(r)}


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def label(found: Found, key: str, data: list[str]) -> str:
    """A box's text: the run's folder, its stage where the folder's name does not say it, what it read."""
    node = found.nodes[key]
    lines = _wrap(node.label)
    if node.run is not None:
        if node.run.stage != node.label.rsplit("/", 1)[-1]:
            lines.append(f"[{node.run.stage}]")
        shown = data[:MAX_DATA] + ([f"+{len(data) - MAX_DATA} more"] if len(data) > MAX_DATA else [])
        for spec in shown:
            lines += _wrap(f"· {spec}")
    return "\n".join(lines)


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WRAP, break_long_words=True, break_on_hyphens=False) or [""]


def draw(found: Found, out_png: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.text import OffsetFrom

    boxes, arrows, data = graph(found)
    row = layers(found, boxes, arrows)
    rows, paths = route(boxes, arrows, row)
    x = _positions(rows)
    texts = {k: label(found, k, data.get(k, [])) for k in boxes}
    width = max(len(r) for r in rows)
    lines = max(t.count("\n") + 1 for t in texts.values())
    row_height = 0.35 + 0.14 * lines  # inches: the tallest box and room for the arrows
    fig, ax = plt.subplots(figsize=(max(5.0, 2.5 * width), 0.3 + row_height * len(rows)))
    ax.set_xlim(-width / 2, width / 2)
    ax.set_ylim(-len(rows) + 0.5, 0.5)
    ax.axis("off")
    stages = list(dict.fromkeys(r.stage for r in found.runs))
    palette = plt.get_cmap("Pastel1")
    artists = {}
    for key in boxes:
        run = found.nodes[key].run
        if run is not None:
            style = dict(bbox=dict(boxstyle=f"round,pad={PAD}", edgecolor="0.3",
                                   facecolor=palette(stages.index(run.stage) % 9)))
        else:
            style = dict(fontstyle="italic", bbox=dict(boxstyle=f"round,pad={PAD}", edgecolor="0.5",
                                                       facecolor="white", linestyle="--"))
        artists[key] = ax.text(x[key], -row[key], texts[key], ha="center", va="center",
                               fontsize=FONT_SIZE, linespacing=1.3, **style)
    kinds = list(dict.fromkeys(e.kind for e in arrows))
    outside = PAD * FONT_SIZE + 1  # points from the text's edge to just outside its box
    for e, path in zip(arrows, paths, strict=True):
        style = dict(color=_edge_color(e.kind, kinds), linestyle="--" if e.kind == "dataset" else "-")
        # from the bottom of the source box, through the waypoints, to the top of the target box
        ends = [(OffsetFrom(artists[e.src], (0.5, 0), unit="points"), (0, -outside))]
        ends += [("data", (x[k], -row[e.src] - j)) for j, k in enumerate(path[1:-1], start=1)]
        ends.append((OffsetFrom(artists[e.dst], (0.5, 1), unit="points"), (0, outside)))
        for i, ((c0, p0), (c1, p1)) in enumerate(pairwise(ends)):
            last = i == len(ends) - 2
            ax.annotate("", xy=p1, xycoords=c1, xytext=p0, textcoords=c0,
                        arrowprops=dict(arrowstyle="-|>" if last else "-", shrinkA=0, shrinkB=0, **style))
    handles = [Line2D([], [], color=_edge_color(k, kinds), linestyle="--" if k == "dataset" else "-", label=k)
               for k in kinds]
    if handles:
        ax.legend(handles=handles, title="input", loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  title_fontsize=8, frameon=False)
    fig.savefig(out_png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out_png


def _edge_color(kind: str, kinds: list[str]) -> str:
    return "0.45" if kind == "dataset" else f"C{kinds.index(kind) % 10}"
