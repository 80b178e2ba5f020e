"""The architecture, checked: capabilities import core only, and only evaluation reads truth."""

import ast
import re
from pathlib import Path

import pytest

from caremap.core.manifest import CAPABILITIES as LISTED
from caremap.core.manifest import TOP as LISTED_TOP

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src" / "caremap"
CAPABILITIES = list(LISTED)
TOP = list(LISTED_TOP)


def test_the_manifest_lists_every_package():
    """Every subpackage of caremap is core, a capability or a top layer (cli, app)."""
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    assert packages == {"core", *CAPABILITIES, *TOP}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.startswith("caremap")}


@pytest.mark.parametrize("cap", CAPABILITIES)
def test_capabilities_import_only_core_and_themselves(cap):
    bad = []
    for path in (SRC / cap).rglob("*.py"):
        for mod in _imports(path):
            parts = mod.split(".")
            if len(parts) == 1 or parts[1] in ("core", cap):
                continue
            bad.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_core_imports_no_capability():
    bad = [
        f"{p.relative_to(SRC)} imports {m}"
        for p in (SRC / "core").rglob("*.py")
        for m in _imports(p)
        if m.split(".")[1:2] and m.split(".")[1] in CAPABILITIES + TOP
    ]
    assert not bad, "\n".join(bad)


# Asking whether ground truth exists (to decide to run an evaluation) is allowed anywhere.
TRUTH = re.compile(r"(?<!has_table\(\")\btruth\.(?!py\b)[a-z_]+")


@pytest.mark.parametrize("cap", [c for c in CAPABILITIES if c != "synth"] + TOP)
def test_only_evaluation_code_reads_ground_truth(cap):
    """Pipelines never read truth.*; evaluation modules (named *evaluat*) may."""
    bad = []
    for path in (SRC / cap).rglob("*.py"):
        if "evaluat" in path.name:
            continue
        if TRUTH.search(path.read_text()):
            bad.append(str(path.relative_to(SRC)))
    assert not bad, "modules outside evaluation code mention truth.* tables: " + ", ".join(bad)


def test_no_private_names_imported_across_modules():
    """A leading underscore means "this module only": no other module imports it."""
    bad = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("caremap"):
                bad += [
                    f"{path.relative_to(SRC)} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert not bad, "\n".join(bad)
