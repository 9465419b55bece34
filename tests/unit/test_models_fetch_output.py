"""``python -m app.models fetch`` is one line when nothing changed: every start of scripts/serve.sh runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.__main__ import main
from tests.unit.test_models_fetch import CONTENTS, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path)


def _fetch(store: Store, *args: str) -> int:
    return main(["--manifest", str(store.manifest_path), "--models-dir", str(store.models_dir), "fetch", *args])


def test_nothing_to_fetch_is_one_summary_line(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert _fetch(store) == 0
    capsys.readouterr()
    assert _fetch(store) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.splitlines() == [out.out.strip()]
    assert out.out.startswith(f"models: {len(CONTENTS)} file(s) ok, 0 downloaded, in ")
    assert out.out.rstrip().endswith(f"under {store.models_dir}")


def test_files_downloaded_are_named_and_present_ones_only_with_verbose(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _fetch(store, "--model", "small") == 0
    capsys.readouterr()
    assert _fetch(store) == 0
    lines = capsys.readouterr().out.splitlines()
    placed = [line for line in lines if line.startswith("placed ")]
    assert len(placed) == len(CONTENTS) - 1 and not any(line.startswith("present ") for line in lines)
    assert lines[-1].startswith(f"models: {len(CONTENTS)} file(s) ok, {len(placed)} downloaded")
    assert _fetch(store, "-v") == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("present ") for line in lines) == len(CONTENTS)
