"""`make bench`'s report (bench/report.py) and its list of groups (bench/run.py), without
services: a made-up result gives a table with each figure against its goal, a JSON file
and two PNG charts. tests/integration/test_bench.py runs the command itself, --tiny."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def bench_modules():
    """bench/'s modules import each other by name (they run as scripts from bench/)."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("common"), importlib.import_module("report")
    finally:
        sys.path.remove(str(BENCH))


def made_up_result(common) -> dict:
    load = [1.5, 1.0, 0.5]
    return {
        "date": "2026-11-30T23:00:00+00:00",
        "tiny": True,
        "machine": {
            "nproc": 2,
            "postgresql": "15",
            "redis": "7",
            "load_average_at_start": load,
            "load_average_at_end": load,
        },
        "parts": {
            "feed": {
                "seconds": 1.0,
                "load_average_before": load,
                "load_average_after": load,
                "checks": [
                    common.check("newsfeed SQL queries, warm", 3, "", ("<=", 4)),
                    common.check("newsfeed in process, p50", 15.5, "ms", ("<=", 12)),
                    common.check("/me/ SQL queries", 2),
                ],
                "distributions": {
                    "GET /me/": common.quantiles([1.0, 2.0, 3.0]),
                    "GET /newsfeed/": common.quantiles([4.0, 5.0, 30.0]),
                },
                "throughput": {"/me/": common.rate(300.0, "req/s in process")},
            },
            "fanout": {
                "seconds": 2.0,
                "load_average_before": load,
                "load_average_after": load,
                "checks": [common.check("fan-out / floor", 0.9, "", (">=", 0.8))],
                "throughput": {
                    "fan-out": common.rate(9000, "rows/s"),
                    "floor": common.rate(10000, "rows/s"),
                },
            },
            "sockets": {
                "seconds": 3.0,
                "load_average_before": load,
                "load_average_after": load,
                "error": "Traceback ...",
                "checks": [],
            },
        },
        "failed": ["sockets"],
    }


def test_table_puts_each_figure_next_to_its_goal(bench_modules):
    common, report = bench_modules
    table = report.table(made_up_result(common))
    lines = table.splitlines()
    queries = next(line for line in lines if "newsfeed SQL queries, warm" in line)
    assert queries.split()[-3:] == ["<=", "4", "pass"]
    latency = next(line for line in lines if "newsfeed in process, p50" in line)
    assert latency.split()[-4:] == ["<=", "12", "ms", "MISS"]
    assert any(line.startswith("sockets") and "FAILED" in line for line in lines)
    assert "load 1.5 -> 1.5" in table
    assert lines[-1] == "2 of 3 goals met"
    assert [c["name"] for c in report.misses(made_up_result(common))] == [
        "newsfeed in process, p50"
    ]


def test_json_and_charts_are_written(bench_modules, tmp_path):
    common, report = bench_modules
    result = made_up_result(common)
    (path,) = report.write_json(result, tmp_path / "out.json")
    assert json.loads(path.read_text()) == result
    charts = report.draw(result, tmp_path / "charts")
    assert sorted(Path(chart).name for chart in charts) == ["latency.png", "throughput.png"]
    for chart in charts:
        assert (tmp_path / "charts" / Path(chart).name).read_bytes().startswith(PNG_SIGNATURE)


def test_quantiles_are_nearest_rank(bench_modules):
    common, _ = bench_modules
    points = dict((p, v) for p, v in common.quantiles([float(n) for n in range(1, 201)]))
    assert points[0] == 1.0
    assert points[50] == 100.0
    assert points[99] == 198.0
    assert points[99.9] == 200.0
    assert points[100] == 200.0
    assert common.quantiles([]) == []


def test_every_group_of_the_run_is_a_bench_module_with_a_part(bench_modules):
    run = importlib.import_module("run")
    for name, full, tiny in run.PARTS:
        module = importlib.import_module(name)
        assert callable(module.part), name
        assert set(full) == set(tiny), f"{name}: --tiny sizes the same parameters"
