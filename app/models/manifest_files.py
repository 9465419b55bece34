"""Validation of one manifest ``files`` entry (whole or split across wheels), and the small
checks that the rest of :mod:`app.models.manifest` shares."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from .errors import ManifestError
from .specs import SHA256_RE, STAMP_SUFFIX, FileSpec, PartSpec, PypiWheelPartsSpec, SourceSpec

PART_FIELD_SPEC = re.compile(r"(0[1-9])?")
"""Format specs allowed on ``{n}`` in a split file's member pattern: none, or zero-padding like ``02``."""


def parse_file(raw: Any, where: str, source: SourceSpec) -> FileSpec:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a table {{path, dest, sha256, size}}")
    split = isinstance(source, PypiWheelPartsSpec)
    if not split and raw.keys() & {"parts", "part"}:
        raise ManifestError(f"{where}: 'parts' and 'part' are only allowed in a pypi-wheel-parts source")
    check_keys(raw, where, required={"path", "dest", "sha256"},
               optional={"size", "parts", "part"} if split else {"size"})
    sha, size = _digest(raw, where)
    dest = req_str(raw, "dest", where)
    check_dest(dest, where)
    path = req_str(raw, "path", where)
    if not isinstance(source, PypiWheelPartsSpec):
        return FileSpec(path=path, dest=dest, sha256=sha, size=size)

    n_wheels = len(source.packages)
    if ("parts" in raw) == ("part" in raw):
        raise ManifestError(
            f"{where}: in a pypi-wheel-parts source a file needs exactly one of parts = [...] "
            f"(split across all {n_wheels} wheels) or part = K (a whole member of wheel K)"
        )
    if "part" in raw:
        k = raw["part"]
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n_wheels:
            raise ManifestError(f"{where}: part must be a wheel number from 1 to {n_wheels}")
        if "{" in path or "}" in path:
            raise ManifestError(f"{where}: path {path!r} of a whole file (part = {k}) may not hold a {{n}} pattern")
        return FileSpec(path=path, dest=dest, sha256=sha, size=size, part=k)

    _check_member_pattern(path, where)
    raw_parts = raw["parts"]
    if not isinstance(raw_parts, list) or len(raw_parts) != n_wheels:
        raise ManifestError(
            f"{where}: parts must be an array of {n_wheels} tables {{sha256, size}}, one per wheel in order"
        )
    parts = []
    for i, rp in enumerate(raw_parts):
        pw = f"{where} parts[{i}]"
        if not isinstance(rp, dict):
            raise ManifestError(f"{pw}: must be a table {{sha256, size}}")
        check_keys(rp, pw, required={"sha256"}, optional={"size"})
        parts.append(PartSpec(*_digest(rp, pw)))
    if any(p.pinned != bool(sha) for p in parts):
        raise ManifestError(f"{where}: the file and all of its parts must be pinned, or none of them")
    sizes = [p.size for p in parts if p.size is not None]
    if size is not None and len(sizes) == n_wheels and sum(sizes) != size:
        raise ManifestError(f"{where}: the parts' sizes add up to {sum(sizes)} bytes, the file's size is {size}")
    return FileSpec(path=path, dest=dest, sha256=sha, size=size, parts=tuple(parts))


def _digest(raw: Mapping[str, Any], where: str) -> tuple[str, int | None]:
    """(sha256, size) of a file or part entry; ``""`` sha256 means unpinned."""
    sha = raw["sha256"]
    if not isinstance(sha, str) or (sha and not SHA256_RE.fullmatch(sha)):
        raise ManifestError(
            f"{where}: sha256 must be 64 lower-case hex digits, or \"\" to mark the file unpinned"
        )
    size = raw.get("size")
    if size is None:
        if sha:
            raise ManifestError(f"{where}: 'size' (bytes) is required for a pinned file")
    elif isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ManifestError(f"{where}: size must be a non-negative integer (bytes)")
    return sha, size


def _check_member_pattern(path: str, where: str) -> None:
    """A split file's path names member ``n`` of wheel ``n`` with ``{n}`` (1, 2, ...) or ``{n:02}`` (01, 02, ...)."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(path) if name is not None]
    except ValueError as exc:
        raise ManifestError(f"{where}: path {path!r} is not a valid member pattern: {exc}") from None
    bad = [f for f in fields if f[0] != "n" or f[2] is not None or not PART_FIELD_SPEC.fullmatch(f[1] or "")]
    if bad or not fields:
        raise ManifestError(
            f"{where}: path {path!r} of a split file must name each part's member with {{n}} or {{n:02}} "
            "(the part number, 1-based, optionally zero-padded) and no other {...} field"
        )


def check_dest(dest: str, where: str) -> None:
    p = PurePosixPath(dest)
    # Dests are joined onto the models dir; anything that could escape it is refused.
    if "\\" in dest or p.is_absolute() or any(part in ("..", ".", "") for part in dest.split("/")):
        raise ManifestError(f"{where}: dest {dest!r} must be a plain relative path like 'stt/tiny.en/model.bin'")
    if len(p.parts) < 3:
        raise ManifestError(f"{where}: dest {dest!r} must be <role>/<model dir>/<file>")
    if dest.endswith(STAMP_SUFFIX) or p.name.startswith("."):
        # Reserved for the stamp files and temporary downloads the fetcher writes.
        raise ManifestError(f"{where}: dest {dest!r} may not end in {STAMP_SUFFIX} or start with '.'")


def check_keys(raw: Mapping[str, Any], where: str, *, required: set[str], optional: set[str]) -> None:
    missing = sorted(required - raw.keys())
    if missing:
        raise ManifestError(f"{where}: missing key(s) {', '.join(missing)}")
    unknown = sorted(raw.keys() - required - optional)
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(unknown)}")


def req_str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where}: {key!r} must be a non-empty string")
    return value
