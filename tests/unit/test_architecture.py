"""The import rule of the README's Architecture section, and small modules, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

# Layer of each module (longest prefix wins), and the layers each may import from.
LAYERS = {
    "app.audio": "values", "app.chat": "values", "app.config": "values", "app.protocol": "values",
    "app.stages.base": "values", "app.stages.errors": "values", "app.store.base": "values",
    "app.clauses": "policy", "app.endpointing": "policy", "app.turn_policy": "policy", "app.speech_gate": "policy",
    "app.tools": "policy", "app.spoken": "policy", "app.claims": "policy",
    "app.conversation": "conversation", "app.realtime": "conversation", "app.realtime.connection": "io",
    "app.stages": "stages",
    "app.store": "store",
    "app.models": "models",
    "app.engine": "runtime", "app.faults": "runtime", "app.turn_runner": "runtime", "app.token_stream": "runtime",
    "app.naive_reply": "runtime",
    "app": "io",
}
MAY_IMPORT = {
    "values": {"values"},
    "policy": {"values", "policy"},
    "conversation": {"values", "policy", "conversation"},
    "stages": {"values", "stages"},
    "store": {"values", "store"},
    "models": {"values", "models"},
    "runtime": {"values", "policy", "conversation", "stages", "models", "runtime"},
    "io": set(LAYERS.values()),
}
SANS_IO = {"policy", "conversation"}
"""Layers that never await, sleep, start threads or touch sockets."""
IO_MODULES = {"asyncio", "threading", "socket", "time", "websockets", "concurrent", "selectors"}

MAX_LINES = 300


def layer(module: str) -> str:
    best = max((prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len)
    return LAYERS[best]


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, including ``from app import protocol`` as app.protocol."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "app":
                found.update(f"app.{alias.name}" for alias in node.names)
    return found


SOURCES = sorted(APP.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(APP)))
def test_imports_follow_the_layers(path: Path) -> None:
    own = layer(module_name(path))
    for imported in imports(path):
        if imported == "app":
            continue
        if imported.startswith("app."):
            assert layer(imported) in MAY_IMPORT[own], f"{own} module imports {imported} ({layer(imported)})"
        elif own in SANS_IO:
            assert imported.split(".")[0] not in IO_MODULES, f"sans-I/O module imports {imported}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(APP)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by responsibility"


# The clients and scripts are held to the same size (not to the layers, which are the node's).
TOOLS = sorted([*(APP.parent / "client").rglob("*.py"), *(APP.parent / "scripts").glob("*.py")])


def test_client_and_script_modules_are_checked() -> None:
    assert APP.parent / "client" / "live.py" in TOOLS and APP.parent / "scripts" / "latency_budget.py" in TOOLS


@pytest.mark.parametrize("path", TOOLS, ids=lambda p: str(p.relative_to(APP.parent)))
def test_client_and_script_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by responsibility"


WEB = APP.parent / "client" / "web"
WEB_SCRIPTS = sorted([*(WEB / "js").glob("*.js"), *(WEB / "worklets").glob("*.js")])


def test_web_scripts_are_checked() -> None:
    assert (WEB / "js" / "main.js") in WEB_SCRIPTS, f"no browser demo scripts under {WEB}"


@pytest.mark.parametrize("path", WEB_SCRIPTS, ids=lambda p: str(p.relative_to(WEB)))
def test_web_scripts_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it into single-purpose modules"


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import asyncio\nfrom app import connection\nfrom app.stages.llm import LlamaChat\n")
    assert imports(bad) == {"asyncio", "app", "app.connection", "app.stages.llm"}
    assert layer("app.connection") not in MAY_IMPORT["conversation"]
    assert layer("app.stages.llm") == "stages" and "stages" not in MAY_IMPORT["conversation"]
