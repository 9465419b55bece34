"""Turn the manifest's defaults into concrete, checked paths for the server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import IntegrityError, ModelError
from .paths import DEFAULT_MANIFEST, DEFAULT_MODELS_DIR
from .specs import Manifest, ModelSpec
from .store import hash_file, quick_ok, try_write_stamp


class ModelInfo(NamedTuple):
    """What ``/info`` reports for one role."""

    name: str
    version: str
    files: Mapping[str, str]
    """dest (relative to the models dir) -> sha256."""


@dataclass(frozen=True)
class ResolvedModels:
    """Absolute paths of the default models, all checked present and intact."""

    stt_dir: Path
    """faster-whisper (CTranslate2) model directory."""
    llm_path: Path
    """GGUF file for llama.cpp."""
    tts_model_path: Path
    """Piper voice ``.onnx``."""
    tts_config_path: Path
    """Piper voice ``.onnx.json``."""
    turn_model_path: Path | None
    """Smart Turn ``.onnx``; None when the manifest has no ``turn`` default."""
    manifest_version: str
    models: Mapping[str, ModelInfo]
    """role -> (name, version, {dest: sha256})."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no absolute paths) for ``/info``."""
        return {
            "manifest_version": self.manifest_version,
            "models": {
                role: {"name": i.name, "version": i.version, "files": dict(i.files)}
                for role, i in self.models.items()
            },
        }


def resolve_defaults(manifest: Manifest, models_dir: str | Path) -> ResolvedModels:
    """Paths of the default models under ``models_dir``.

    Uses the stamp quick check, so a normal start does not rehash; a file without a valid
    stamp is rehashed once (and stamped if the directory is writable). Raises ModelError
    (IntegrityError for bad bytes) with the command that fixes it."""
    models_dir = Path(models_dir).resolve()
    defaults = manifest.default_models()

    unpinned = [f"{m.name}:{f.dest}" for m in defaults for f in m.files if not f.pinned]
    if unpinned:
        raise ModelError(
            f"default model file(s) not pinned: {', '.join(unpinned)}; run "
            f"`{_fetch_cmd(manifest, models_dir)} --model NAME --allow-unpinned` "
            "and copy the printed sha256/size into the manifest"
        )

    missing = [f.dest for m in defaults for f in m.files if not (models_dir / f.dest).is_file()]
    if missing:
        shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise ModelError(
            f"model files missing under {models_dir}: {shown}; run `{_fetch_cmd(manifest, models_dir)}`"
        )

    for m in defaults:
        for f in m.files:
            path = models_dir / f.dest
            if quick_ok(path, f):
                continue
            actual, size = hash_file(path)
            if actual != f.sha256 or (f.size is not None and size != f.size):
                raise IntegrityError(
                    f.dest, f.sha256, actual, expected_size=f.size, actual_size=size,
                    hint=f"run `{_fetch_cmd(manifest, models_dir)}` to replace it",
                )
            try_write_stamp(path, actual)

    def at(m: ModelSpec, suffix: str) -> Path:
        return models_dir / m.file_with_suffix(suffix).dest

    stt, llm, tts = (manifest.default(r) for r in ("stt", "llm", "tts"))
    assert stt is not None and llm is not None and tts is not None  # guaranteed by the parser
    turn = manifest.default("turn")
    return ResolvedModels(
        stt_dir=models_dir / stt.dest_dir,
        llm_path=at(llm, ".gguf"),
        tts_model_path=at(tts, ".onnx"),
        tts_config_path=at(tts, ".onnx.json"),
        turn_model_path=at(turn, ".onnx") if turn else None,
        manifest_version=manifest.version,
        models=MappingProxyType({
            m.role: ModelInfo(m.name, m.version, MappingProxyType({f.dest: f.sha256 for f in m.files}))
            for m in defaults
        }),
    )


def _fetch_cmd(manifest: Manifest, models_dir: Path) -> str:
    """The fetch command line, with --manifest/--models-dir only when not the defaults."""
    cmd = "python -m app.models"
    if manifest.path is not None and Path(manifest.path).resolve() != DEFAULT_MANIFEST:
        cmd += f" --manifest {manifest.path}"
    if models_dir != DEFAULT_MODELS_DIR:
        cmd += f" --models-dir {models_dir}"
    if manifest.profile != "default":
        cmd += f" --profile {manifest.profile}"
    return cmd + " fetch"
