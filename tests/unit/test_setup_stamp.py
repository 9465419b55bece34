"""scripts/setup.sh runs pip only when something is missing: the real script, in a copy of the
repository whose .venv/bin/python is a fake that logs what it is asked (the real .venv is never touched)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import REPO_ROOT

FAKE_PYTHON = """#!/usr/bin/env bash
# Logs each call; `pip install -e` installs llama-cpp-python; `-c` answers its version.
echo "$*" >> "$FAKE_LOG"
here=$(dirname "$0")/..
case " $* " in
  " -c "*) [[ -f "$here/llama-installed" ]] && echo 0.3.36 || exit 1 ;;
  *" -m pip install "*" -e "*) touch "$here/llama-installed" ;;
  " -m app.models "*) echo "models: 8 file(s) ok, 0 downloaded" ;;
esac
"""


class Checkout:
    """A copy of the set-up scripts and pyproject.toml, with a fake .venv."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "scripts").mkdir()
        for script in ("setup.sh", "serve.sh"):
            shutil.copy(REPO_ROOT / "scripts" / script, root / "scripts")
        shutil.copy(REPO_ROOT / "pyproject.toml", root)
        (root / "scripts" / "system_deps.sh").write_text("#!/usr/bin/env bash\n")
        (root / "scripts" / "llama_cmake_args.sh").write_text(
            '#!/usr/bin/env bash\necho "${LLAMA_CMAKE_ARGS:--DA=1}"\n'
        )
        bin_dir = root / ".venv" / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "python").write_text(FAKE_PYTHON)
        for script in (*root.glob("scripts/*.sh"), bin_dir / "python"):
            script.chmod(0o755)
        self.log = root / "calls.log"

    def setup(self, extras: str = "", **env: str) -> tuple[str, list[str]]:
        """Run setup.sh; returns its output and the pip commands it ran."""
        self.log.write_text("")
        result = subprocess.run(
            ["bash", str(self.root / "scripts" / "setup.sh")],
            env={**os.environ, "PYTHON": sys.executable, "FAKE_LOG": str(self.log), "EDGE_VOICE_EXTRAS": extras, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        calls = self.log.read_text().splitlines()
        pip = [line[line.index("-m pip") :] for line in calls if "-m pip install" in line]
        assert all(
            line.startswith("-W ignore:Editable installation:UserWarning -m pip") for line in calls if "pip" in line
        )
        return result.stdout + result.stderr, [p for p in pip if "--upgrade pip" not in p]


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return Checkout(tmp_path)


def test_test_then_serve_then_test_installs_once(checkout: Checkout) -> None:
    out, pip = checkout.setup("dev,bench")
    assert pip == ["-m pip install -q -e .[bench,dev]"]
    assert "building llama-cpp-python with CMAKE_ARGS=-DA=1" in out
    # serve.sh wants no extras, then test.sh wants both again: the first install holds both.
    for extras in ("", "dev", "bench,dev", " dev , bench "):
        out, pip = checkout.setup(extras)
        assert pip == [], extras
        assert out.strip() == "models: 8 file(s) ok, 0 downloaded"


def test_a_later_run_wanting_more_extras_installs_them_without_a_build(checkout: Checkout) -> None:
    checkout.setup("")
    out, pip = checkout.setup("dev")
    assert pip == ["-m pip install -q -e .[dev]"]
    assert "building" not in out and "(extras: dev)" in out
    _, pip = checkout.setup("bench")
    assert pip == ["-m pip install -q -e .[bench,dev]"]  # what was installed stays in the record
    assert checkout.setup("dev,bench")[1] == []


def test_a_changed_pyproject_reinstalls_with_every_extra_installed_so_far(checkout: Checkout) -> None:
    checkout.setup("dev,bench")
    with (checkout.root / "pyproject.toml").open("a") as f:
        f.write("\n# changed\n")
    out, pip = checkout.setup("")
    assert pip == ["-m pip install -q -e .[bench,dev]"] and "building" not in out


def test_changed_cmake_args_rebuild_llama_cpp_only(checkout: Checkout) -> None:
    checkout.setup("")
    out, pip = checkout.setup("", LLAMA_CMAKE_ARGS="-DB=1")
    assert pip == [
        "-m pip install -q --force-reinstall --no-deps --no-binary llama-cpp-python --no-cache-dir "
        "llama-cpp-python==0.3.36"
    ]
    assert "CMAKE_ARGS changed: rebuilding llama-cpp-python 0.3.36 with CMAKE_ARGS=-DB=1" in out
    assert checkout.setup("", LLAMA_CMAKE_ARGS="-DB=1")[1] == []


def test_the_stamp_of_earlier_versions_counts_for_its_extras(checkout: Checkout) -> None:
    (checkout.root / ".venv" / "llama-installed").touch()
    (checkout.root / ".venv" / ".installed-e57d4095d0f6a73b-dev+bench").touch()
    out, pip = checkout.setup("")
    # Its pyproject.toml hash was of another form: one install, with the extras it had, nothing built.
    assert pip == ["-m pip install -q -e .[bench,dev]"] and "building" not in out
    assert not list((checkout.root / ".venv").glob(".installed-*"))
    assert checkout.setup("dev")[1] == []


def test_an_unknown_extra_is_one_line_error(checkout: Checkout) -> None:
    result = subprocess.run(
        ["bash", str(checkout.root / "scripts" / "setup.sh")],
        env={**os.environ, "PYTHON": sys.executable, "FAKE_LOG": str(checkout.log), "EDGE_VOICE_EXTRAS": "dev,gpu"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "error: EDGE_VOICE_EXTRAS names unknown extra(s) gpu (pyproject.toml has: bench, dev)\n"
    assert not checkout.log.exists()


def test_serve_help_needs_no_set_up_once_there_is_an_environment(checkout: Checkout) -> None:
    checkout.log.write_text("")
    result = subprocess.run(
        ["bash", str(checkout.root / "scripts" / "serve.sh"), "--port", "9000", "--help"],
        env={**os.environ, "PYTHON": sys.executable, "FAKE_LOG": str(checkout.log)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stdout == result.stderr == ""
    assert checkout.log.read_text().splitlines() == ["-m app --port 9000 --help"]
