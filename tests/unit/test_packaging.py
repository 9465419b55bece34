"""pyproject.toml declares its licence in the current form, which builds without a deprecation banner."""

from __future__ import annotations

import re
import tomllib

from app.config import REPO_ROOT

PYPROJECT = REPO_ROOT / "pyproject.toml"


def test_licence_is_an_spdx_string_the_build_backend_reads() -> None:
    data = tomllib.loads(PYPROJECT.read_text())
    # A table ({ text = "MIT" }) makes setuptools print a deprecation banner on every install.
    assert data["project"]["license"] == "MIT"
    (requirement,) = [r for r in data["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)", requirement)
    assert minimum is not None and int(minimum.group(1)) >= 77  # the first release that reads an SPDX string
    assert not any(c.startswith("License ::") for c in data["project"].get("classifiers", ()))


def test_the_gpl_of_the_tts_dependency_is_stated_beside_the_licence() -> None:
    text = PYPROJECT.read_text()
    head = text[: text.index('license = "MIT"')]
    assert "piper-tts" in head and "GPL-3.0-or-later" in head
