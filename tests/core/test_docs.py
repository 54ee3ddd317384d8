"""Every document that code, tests and docs cite is in the repository, and every numbered
rule they cite (docs/reliability.md's invariants, traps and fault tests) exists there."""

import importlib
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELIABILITY = ROOT / "docs" / "reliability.md"

# The project's planning documents live outside the repository: citing them leaves a
# reader of the code with nowhere to go.
OUTSIDE = re.compile(r"\b(?:RELIABILITY|API|STYLE|ARCHITECTURE)\.md\b")
DOC = re.compile(r"\bdocs/[\w-]+\.md\b")
NUMBERS = r"(\d+(?:(?:, | and )\d+)*)"
TRAPS = re.compile(rf"docs/reliability\.md\s+traps?\s+{NUMBERS}")
FAULT_TESTS = re.compile(rf"docs/reliability\.md\s+fault\s+tests?\s+{NUMBERS}")
INVARIANTS = re.compile(r"docs/reliability\.md\s+(I\d(?:, I\d)*)")


def cited_files() -> dict[str, str]:
    """The text of every tracked file that may cite a document."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    kinds = {".py", ".md", ".toml", ".yml", ".html", ".example", ""}
    paths = [ROOT / name for name in listed if Path(name).suffix in kinds]
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in paths
        if path.is_file()
    }


def numbers(match: re.Match) -> set[int]:
    return {int(n) for n in re.findall(r"\d+", match.group(1))}


def test_nothing_cites_a_document_outside_the_repository():
    offenders = [
        f"{name}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0)}"
        for name, text in cited_files().items()
        for m in OUTSIDE.finditer(text)
    ]
    assert offenders == []


def test_every_cited_docs_page_exists():
    missing = sorted(
        {
            f"{name}: {m.group(0)}"
            for name, text in cited_files().items()
            for m in DOC.finditer(text)
            if not (ROOT / m.group(0)).is_file()
        }
    )
    assert missing == []


def test_every_cited_invariant_trap_and_fault_test_is_numbered_in_the_reliability_doc():
    page = RELIABILITY.read_text(encoding="utf-8")
    traps = {int(n) for n in re.findall(r"^(\d+)\. \*\*", page, re.M)}
    fault_tests = {int(n) for n in re.findall(r"^\| (\d+) \|", page, re.M)}
    invariants = set(re.findall(r"\*\*(I\d)\*\*", page))
    assert traps == set(range(1, 18))
    assert fault_tests == set(range(1, 14))
    assert invariants == {"I1", "I2", "I3", "I4", "I5"}
    unknown = []
    for name, text in cited_files().items():
        unknown += [f"{name}: trap {n}" for m in TRAPS.finditer(text) for n in numbers(m) - traps]
        unknown += [
            f"{name}: fault test {n}"
            for m in FAULT_TESTS.finditer(text)
            for n in numbers(m) - fault_tests
        ]
        unknown += [
            f"{name}: {i}"
            for m in INVARIANTS.finditer(text)
            for i in set(m.group(1).split(", ")) - invariants
        ]
    assert unknown == []


def test_every_view_in_the_architecture_maps_url_table_exists():
    """docs/architecture.md's table from URL to code names `app` `ViewSet.method`: each
    must exist, so the map stays true as views move."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page.split("## From a URL to the code", 1)[1].split("\nOutside `/api/v1/`", 1)[0]
    missing, seen = [], 0
    for row in table.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) != 3 or not re.match(r"[a-z_]+ `", cells[1]):
            continue
        app = cells[1].split()[0]
        views = importlib.import_module(f"{app}.views")
        viewset = None
        for name in re.findall(r"`([^`]+)`", cells[1]):
            class_name, _, method = name.rpartition(".") if "." in name else (name, "", "")
            if class_name:
                viewset = getattr(views, class_name, None)
            seen += 1
            if viewset is None or (method and not hasattr(viewset, method)):
                missing.append(f"{app} {name}")
    assert seen > 40
    assert missing == []
