"""Errors raised by the model store. Every one derives from :class:`ModelError`."""

from __future__ import annotations


class ModelError(Exception):
    """Base class: anything that stops models from being fetched, verified or resolved."""


class ManifestError(ModelError):
    """The manifest is unreadable or violates the schema (message names the entry and key)."""


class UnknownModelError(ModelError):
    """A model name (or role) asked for is not in the manifest."""


class UnpinnedError(ModelError):
    """A file has ``sha256 = ""`` and ``allow_unpinned`` was not given."""


class SourceUnavailableError(ModelError):
    """A source could not deliver a file: pip failed, HTTP error, unreachable host, missing path."""


class IntegrityError(ModelError):
    """Downloaded or present bytes do not match the manifest's sha256/size."""

    def __init__(
        self,
        dest: str,
        expected_sha256: str,
        actual_sha256: str,
        *,
        expected_size: int | None = None,
        actual_size: int | None = None,
        hint: str = "",
    ) -> None:
        self.dest = dest
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256
        self.expected_size = expected_size
        self.actual_size = actual_size
        msg = f"{dest}: sha256 mismatch: expected {expected_sha256}, got {actual_sha256}"
        if expected_size is not None and actual_size is not None and expected_size != actual_size:
            msg += f" (size {actual_size} bytes, expected {expected_size})"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)
