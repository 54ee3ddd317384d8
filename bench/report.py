"""`make bench`'s report (bench/run.py): the table, the JSON and the charts, from the
run's result alone, so a saved result can be drawn again:

    .venv/bin/python bench/report.py bench/results/latest.json [--charts docs/benchmarks]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import common
from common import RESULTS, ROOT

LATENCY_CHART = "latency.png"
THROUGHPUT_CHART = "throughput.png"


def write_json(result: dict, path: Path | None = None) -> list[Path]:
    """`path`, or bench/results/bench-<time>.json and a copy as bench/results/latest.json."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
        return [path]
    written = common.write_results("bench", result)
    latest = RESULTS / "latest.json"
    shutil.copyfile(written, latest)
    return [written, latest]


def _goal(check: dict) -> str:
    if check["goal"] is None:
        return ""
    op, target = check["goal"]
    return f"{op} {target:,g} {check['unit']}".rstrip()


def _value(check: dict) -> str:
    value = check["value"]
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:,.2f}".rstrip("0").rstrip(".")
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value} {check['unit']}".rstrip()


def _verdict(check: dict) -> str:
    return {True: "pass", False: "MISS", None: ""}[check["passed"]]


def table(result: dict) -> str:
    """Every figure next to its floor or ceiling, grouped by part, with the load average
    around each part's measurement."""
    machine = result["machine"]
    lines = [
        f"{result['date']}  {machine['nproc']} CPUs, PostgreSQL {machine['postgresql']}, "
        f"Redis {machine['redis']}; load average at start {machine['load_average_at_start']}, "
        f"at end {machine['load_average_at_end']}" + ("  (--tiny: toy sizes)" if result["tiny"] else ""),
        f"{'figure':<58} {'measured':>16} {'goal':>14}  result",
    ]  # fmt: skip
    for name, part in result["parts"].items():
        before, after = part["load_average_before"][0], part["load_average_after"][0]
        status = "FAILED" if "error" in part else f"{part['seconds']} s"
        lines.append(f"{name}  ({status}; load {before:g} -> {after:g})")
        for check in part.get("checks", []):
            lines.append(
                f"  {check['name']:<56} {_value(check):>16} {_goal(check):>14}  {_verdict(check)}"
            )
    goals = [c for part in result["parts"].values() for c in part.get("checks", []) if c["goal"]]
    passed = sum(1 for check in goals if check["passed"])
    lines.append(f"{passed} of {len(goals)} goals met")
    return "\n".join(lines)


def misses(result: dict) -> list[dict]:
    return [
        check
        for part in result["parts"].values()
        for check in part.get("checks", [])
        if check["passed"] is False
    ]


def _minor_label(value: float, _position) -> str:
    """2, 3 and 5 times each power of ten labelled on a log axis; the others crowd."""
    mantissa = round(value / 10 ** math.floor(math.log10(value))) if value > 0 else 0
    return f"{value:g}" if mantissa in (2, 3, 5) else ""


def draw(result: dict, folder: Path) -> list[Path]:
    """latency.png (each part's latency distributions) and throughput.png (its rates, one
    panel per unit) in `folder`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    def save(figure, axes, drawn, title: str, path: Path) -> Path:
        if not drawn:
            axes[0, 0].text(0.5, 0.5, "nothing measured", ha="center")
        figure.suptitle(title, fontsize=11)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)
        return path

    folder.mkdir(parents=True, exist_ok=True)
    machine = result["machine"]
    subtitle = (
        f"{result['date']}, {machine['nproc']} CPUs; load average "
        f"{machine['load_average_at_start'][0]:g} at start, "
        f"{machine['load_average_at_end'][0]:g} at end" + (" (--tiny)" if result["tiny"] else "")
    )
    written = []

    panels = [
        (name, part) for name, part in result["parts"].items() if any(
            part.get("distributions", {}).values())
    ]  # fmt: skip
    figure, axes = plt.subplots(
        max(len(panels), 1), 1, figsize=(9, 2.8 * max(len(panels), 1)), squeeze=False
    )
    for ax, (name, part) in zip(axes[:, 0], panels, strict=False):
        for label, points in part["distributions"].items():
            if points:
                ax.plot([ms for _, ms in points], [p for p, _ in points], label=label)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(_minor_label))
        ax.tick_params(axis="x", which="minor", labelsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("percentile")
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_title(f"{name}: load {part['load_average_before'][0]:g} -> "
                     f"{part['load_average_after'][0]:g}", fontsize=10)  # fmt: skip
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    written.append(save(figure, axes, panels, f"Latency distributions (make bench)\n{subtitle}",
                        folder / LATENCY_CHART))  # fmt: skip

    units: dict[str, list[tuple[str, float]]] = {}
    for part in result["parts"].values():
        for label, entry in part.get("throughput", {}).items():
            units.setdefault(entry["unit"], []).append((label, entry["value"]))
    height = 1.4 + sum(0.9 + 0.45 * len(bars) for bars in units.values())
    figure, axes = plt.subplots(max(len(units), 1), 1, figsize=(9, height), squeeze=False)
    for ax, (unit, bars) in zip(axes[:, 0], units.items(), strict=False):
        labels, values = zip(*bars, strict=True)
        ax.barh(labels, values, color="tab:blue")
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:,.0f}" if value >= 100 else f" {value:,.1f}",
                    va="center", fontsize=8)  # fmt: skip
        ax.set_xlabel(unit)
        ax.invert_yaxis()
        ax.margins(x=0.15)
    written.append(save(figure, axes, units, f"Throughput (make bench)\n{subtitle}",
                        folder / THROUGHPUT_CHART))  # fmt: skip
    return [p.relative_to(ROOT) if p.is_relative_to(ROOT) else p for p in written]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result", type=Path, help="a results file of make bench")
    parser.add_argument("--charts", type=Path, default=ROOT / "docs" / "benchmarks")
    args = parser.parse_args()
    result = json.loads(args.result.read_text())
    print(table(result))
    print("charts: " + ", ".join(map(str, draw(result, args.charts))))


if __name__ == "__main__":
    sys.exit(main())
