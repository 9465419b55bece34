"""Default locations, relative to the repository checkout (not the working directory)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS_DIR = REPO_ROOT / "models"
"""Where fetched weights are placed; manifest ``dest`` paths are relative to it."""
DEFAULT_MANIFEST = DEFAULT_MODELS_DIR / "manifest.toml"
