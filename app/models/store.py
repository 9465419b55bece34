"""On-disk side of the model store: hashing, ``.sha256`` stamps, atomic placement.

A stamp ``<file>.sha256`` (``sha256sum`` format) is written right after a verified file
is moved into place. A later start that finds the stamp equal to the manifest hash, the
size equal to the manifest size and the stamp no older than the file trusts the file
without rehashing ~250 MB. ``verify`` ignores stamps and always rehashes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from .errors import IntegrityError, ManifestError
from .specs import STAMP_SUFFIX, FileSpec

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
FILE_MODE = 0o644
"""mkstemp creates 0600 files; weights must stay readable by a server running as another user."""
_HEX64 = re.compile(r"[0-9a-f]{64}")


class Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...


class HashingWriter:
    """Wraps a binary file (or another writer): writes through and hashes on the way, so no
    second read is needed."""

    def __init__(self, fh: BinaryIO | Writer) -> None:
        self._fh = fh
        self._hash = hashlib.sha256()
        self.size = 0
        """Bytes written so far."""

    def write(self, data: bytes) -> int:
        self._fh.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def check_content(
    label: str, sha256: str, size: int | None, actual: str, actual_size: int, *, origin: str
) -> None:
    """Raise unless bytes that hashed to ``actual`` (``actual_size`` bytes) are what the manifest
    pins as ``sha256``/``size`` (``sha256 = ""``: only a given size is checked). ``label`` names
    the file (or part) in the message, ``origin`` where the bytes came from."""
    if sha256 and actual != sha256:
        raise IntegrityError(
            label, sha256, actual, expected_size=size, actual_size=actual_size,
            hint=f"from {origin}; any existing file was left untouched",
        )
    if size is not None and actual_size != size:
        if sha256:
            raise ManifestError(
                f"{label}: content matches sha256 but is {actual_size} bytes, manifest says size = {size}"
            )
        raise IntegrityError(
            label, "(unpinned)", actual, expected_size=size, actual_size=actual_size,
            hint=f"from {origin}; size differs from the manifest",
        )


def hash_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + STAMP_SUFFIX)


def read_stamp(path: Path) -> str | None:
    """The hash recorded for ``path`` at placement time, or None if absent/unreadable/stale."""
    stamp = stamp_path(path)
    try:
        text = stamp.read_text(encoding="ascii")
        # A file rewritten after its stamp (same size, other bytes) must not pass the quick check.
        if stamp.stat().st_mtime_ns < path.stat().st_mtime_ns:
            return None
    except (OSError, UnicodeDecodeError):
        return None
    token = text.split(maxsplit=1)[0] if text.strip() else ""
    return token if _HEX64.fullmatch(token) else None


def write_stamp(path: Path, sha256: str) -> None:
    """Atomically write ``<path>.sha256`` in ``sha256sum -c`` compatible format."""
    stamp = stamp_path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{stamp.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(f"{sha256}  {path.name}\n")
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, stamp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def try_write_stamp(path: Path, sha256: str) -> None:
    """Best effort (the models dir may be read-only at serve time)."""
    try:
        write_stamp(path, sha256)
    except OSError as exc:
        log.debug("could not write stamp for %s: %s", path, exc)


def quick_ok(path: Path, spec: FileSpec) -> bool:
    """True if ``path`` can be trusted without rehashing (see module docstring).
    For an unpinned file any stamp will do: there is no manifest hash to compare."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if spec.size is not None and size != spec.size:
        return False
    stamped = read_stamp(path)
    if stamped is None:
        return False
    return stamped == spec.sha256 if spec.pinned else True


def new_temp(target: Path) -> tuple[BinaryIO, Path]:
    """Open a hidden temp file next to ``target`` (same filesystem, so ``os.replace`` is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    return os.fdopen(fd, "wb"), Path(tmp)


def place(tmp: Path, target: Path, sha256: str) -> None:
    """Move a verified temp file over ``target`` and stamp it.

    The old stamp goes first: a crash between the two steps then leaves a file without a
    stamp (rehashed next time), never a stamp that vouches for the wrong bytes."""
    os.chmod(tmp, FILE_MODE)
    stamp_path(target).unlink(missing_ok=True)
    os.replace(tmp, target)
    write_stamp(target, sha256)
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable across power loss on POSIX; not supported everywhere.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
