"""Find the runs under a folder and link each to the runs it started from.

A run's manifest records, for every input that was an r1 output folder, that folder's manifest as it was then
(`upstream_manifest`). An upstream is the run under the folder whose manifest is exactly that one. Paths are
not compared: a spec was relative to the directory the run was started from, which no manifest records, and
a folder may have been moved since. An upstream that is no longer there (replaced by a later run, or kept
elsewhere) and every other input (a task, a data file, a hub model) become outside nodes of the lineage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli import log
from r1cli.errors import UserError

REPORT_STAGE = "report"  # earlier reports are outputs of this stage, not runs to report on


@dataclass
class RunRecord:
    name: str  # the folder, relative to the reported folder
    path: Path
    manifest: dict[str, Any]

    @property
    def stage(self) -> str:
        return str(self.manifest.get("stage", "?"))


@dataclass
class Node:
    """A node of the lineage: a run of the folder, or an input from outside it (`run` is None)."""

    key: str
    label: str
    run: RunRecord | None = None


@dataclass
class Edge:
    src: str
    dst: str
    kind: str  # the input's kind in the manifest: model, dataset, ...


@dataclass
class Found:
    root: Path
    runs: list[RunRecord]
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def sources(self, run: RunRecord, kind: str) -> list[str]:
        """The labels of what `run` took as inputs of `kind` (the run's name where it is one of the folder)."""
        return [self.nodes[e.src].label for e in self.edges if e.dst == run.name and e.kind == kind]


def find(root: Path) -> Found:
    if not root.exists():
        raise UserError(f"RUNS_DIR {root} does not exist (give the folder that holds the runs)")
    if not root.is_dir():
        raise UserError(f"RUNS_DIR {root} is not a folder (give the folder that holds the runs)")
    runs = [r for r in (_read(path, root) for path in root.rglob("r1_manifest.json")) if r is not None]
    if not runs:
        raise UserError(f"no run under {root}: no r1_manifest.json found (RUNS_DIR must hold r1 output folders)")
    # start order (then end order: clocks have whole seconds), so that a run comes after those it started from
    runs.sort(key=lambda r: (str(r.manifest.get("started", "")), str(r.manifest.get("finished", "")), r.name))
    found = Found(root=root, runs=runs, nodes={r.name: Node(r.name, r.name, r) for r in runs})
    by_manifest = {_canonical(r.manifest): r for r in runs}
    for run in runs:
        for item in run.manifest.get("inputs", []):
            spec, kind = str(item.get("spec", "?")), str(item.get("kind", "input"))
            upstream = item.get("upstream_manifest")
            source = by_manifest.get(_canonical(upstream)) if upstream else None
            if source is not None:
                key = source.name
            else:
                key = f"input:{spec}"
                where = f" ({upstream.get('stage', '?')} run, not among these)" if upstream else ""
                found.nodes.setdefault(key, Node(key, spec + where))
            found.edges.append(Edge(key, run.name, kind))
    return found


def _read(path: Path, root: Path) -> RunRecord | None:
    folder = path.parent
    rel = folder.relative_to(root)
    # a crash between writing the manifest and renaming the folder leaves one in DIR.partial
    if any(part.endswith((".partial", ".replaced")) for part in rel.parts):
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        log.warn(f"skipping {path}: not a readable manifest ({e})")
        return None
    if isinstance(manifest, dict) and manifest.get("stage") == REPORT_STAGE:
        return None
    damage = _damage(folder, manifest)
    if damage:
        log.warn(f"skipping the run in {folder}: {damage}")
        return None
    name = rel.as_posix() if rel.parts else folder.resolve().name
    return RunRecord(name=name, path=folder, manifest=manifest)


def _damage(folder: Path, manifest: Any) -> str | None:
    """What is damaged in a run's files that the report reads (its manifest, results.json, metrics.jsonl), in
    words naming the file; None when they all have the shape the report expects. Checked here, once, so that
    one damaged run is skipped rather than ending the report halfway."""
    name = "r1_manifest.json"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stage"), str):
        return f"{name} is not a run's manifest (no stage)"
    inputs = manifest.get("inputs", [])
    if not isinstance(inputs, list) or not all(
            isinstance(i, dict) and isinstance(i.get("upstream_manifest") or {}, dict) for i in inputs):
        return f"{name} has damaged inputs"
    if not isinstance(manifest.get("metrics") or {}, dict):
        return f"{name} has damaged metrics"
    if manifest["stage"] == "eval":
        path_name = "results.json"
        try:
            results = json.loads((folder / path_name).read_text()) if (folder / path_name).exists() else {}
        except (OSError, ValueError) as e:
            return f"{path_name} is not readable JSON ({e})"
        benchmarks = results.get("benchmarks", {}) if isinstance(results, dict) else None
        if not isinstance(benchmarks, dict) or not all(
                isinstance(b, dict) and isinstance(b.get("metrics", {}), dict) for b in benchmarks.values()) \
                or not isinstance(results.get("sampling") or {}, dict):
            return f"{path_name} is not an eval's results (benchmarks with their metrics)"
        if not (folder / path_name).exists() and not all(
                isinstance(m, dict) for m in (manifest.get("metrics") or {}).values()):
            return f"{name} has damaged metrics"
    metrics = folder / "metrics.jsonl"
    if metrics.exists():
        try:
            lines = metrics.read_text().splitlines()
        except (OSError, ValueError) as e:
            return f"metrics.jsonl is not readable ({e})"
        for k, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                return f"metrics.jsonl line {k} is not valid JSON"
            step = record.get("step") if isinstance(record, dict) else None
            if not isinstance(step, (int, float)) or isinstance(step, bool):
                return f"metrics.jsonl line {k} is not a record with a step"
    return None


def _canonical(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, sort_keys=True, default=str)
