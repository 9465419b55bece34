"""Manifest parsing and validation (app.models.manifest), plus the real models/manifest.toml."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from app.models import (
    DEFAULT_MANIFEST,
    HuggingFaceSpec,
    LocalSpec,
    ManifestError,
    PypiWheelSpec,
    UnknownModelError,
    load_manifest,
)
from app.models.manifest import parse_manifest

H = "a" * 64  # a syntactically valid sha256


def _file(dest: str, sha: str = H, size: int | None = 10, path: str | None = None) -> dict[str, Any]:
    f: dict[str, Any] = {"path": path or dest.rsplit("/", 1)[-1], "dest": dest, "sha256": sha}
    if size is not None:
        f["size"] = size
    return f


def _doc() -> dict[str, Any]:
    """A valid manifest as decoded TOML."""
    local = {"kind": "local", "path": "src"}
    return {
        "version": "2026.11.0",
        "defaults": {"stt": "s", "llm": "l", "tts": "t", "turn": "k"},
        "model": [
            {"role": "stt", "name": "s", "version": "1", "license": "MIT", "source": local,
             "files": [_file("stt/s/model.bin"), _file("stt/s/config.json")]},
            {"role": "llm", "name": "l", "version": "1", "license": "MIT",
             "source": {"kind": "pypi-wheel", "package": "pkg", "version": "0.1"},
             "files": [_file("llm/l/m.gguf")]},
            {"role": "tts", "name": "t", "version": "1", "license": "MIT", "source": local,
             "files": [_file("tts/t/v.onnx"), _file("tts/t/v.onnx.json")]},
            {"role": "turn", "name": "k", "version": "3.2", "license": "BSD-2-Clause", "source": local,
             "files": [_file("turn/k/k.onnx")]},
            {"role": "llm", "name": "big", "version": "2", "license": "Apache-2.0",
             "source": {"kind": "huggingface", "repo": "org/repo", "revision": "main"},
             "files": [_file("llm/big/b.gguf", sha="", size=None)]},
        ],
    }


def _parse(doc: dict[str, Any], tmp_path: Path):
    return parse_manifest(doc, base_dir=tmp_path)


def _error(doc: dict[str, Any], tmp_path: Path) -> str:
    with pytest.raises(ManifestError) as info:
        _parse(doc, tmp_path)
    return str(info.value)


def test_valid_manifest_parses_into_frozen_dataclasses(tmp_path: Path) -> None:
    m = _parse(_doc(), tmp_path)
    assert m.version == "2026.11.0"
    assert dict(m.defaults) == {"stt": "s", "llm": "l", "tts": "t", "turn": "k"}
    assert [x.name for x in m.default_models()] == ["s", "l", "t", "k"]
    stt = m.model("s")
    assert stt.dest_dir == "stt/s"
    assert stt.source == LocalSpec(path=(tmp_path / "src").resolve())
    assert m.model("l").source == PypiWheelSpec(package="pkg", version="0.1")
    assert m.model("big").source == HuggingFaceSpec(repo="org/repo", revision="main")
    assert m.model("t").file_with_suffix(".onnx").dest == "tts/t/v.onnx"
    assert m.model("t").file_with_suffix(".onnx.json").dest == "tts/t/v.onnx.json"
    big = m.model("big")
    assert not big.pinned and big.files[0].size is None and big.files[0].sha256 == ""
    assert stt.pinned and not m.is_default(big)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stt.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        m.defaults["stt"] = "big"  # type: ignore[index]
    with pytest.raises(UnknownModelError, match="nope"):
        m.model("nope")


def test_turn_default_is_optional(tmp_path: Path) -> None:
    doc = _doc()
    del doc["defaults"]["turn"]
    m = _parse(doc, tmp_path)
    assert m.default("turn") is None
    assert [x.role for x in m.default_models()] == ["stt", "llm", "tts"]


def test_missing_sha256_key_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    del doc["model"][1]["files"][0]["sha256"]
    msg = _error(doc, tmp_path)
    assert "'l'" in msg and "sha256" in msg and "missing" in msg


@pytest.mark.parametrize("bad", ["A" * 64, "a" * 63, "g" * 64, 123])
def test_malformed_sha256_is_an_error(tmp_path: Path, bad: object) -> None:
    doc = _doc()
    doc["model"][0]["files"][0]["sha256"] = bad
    assert "64 lower-case hex" in _error(doc, tmp_path)


def test_pinned_file_needs_size(tmp_path: Path) -> None:
    doc = _doc()
    del doc["model"][0]["files"][0]["size"]
    assert "'size' (bytes) is required" in _error(doc, tmp_path)


def test_negative_size_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][0]["files"][0]["size"] = -1
    assert "non-negative integer" in _error(doc, tmp_path)


def test_bad_role_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][4]["role"] = "vision"
    msg = _error(doc, tmp_path)
    assert "'vision'" in msg and "stt, llm, tts, turn" in msg


def test_duplicate_dest_across_models_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][4]["files"] = [_file("llm/l/m.gguf")]
    msg = _error(doc, tmp_path)
    assert "duplicate dest 'llm/l/m.gguf'" in msg and "'l'" in msg and "'big'" in msg


def test_duplicate_dest_within_a_model_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][0]["files"].append(_file("stt/s/model.bin"))
    assert "duplicate dest 'stt/s/model.bin'" in _error(doc, tmp_path)


def test_models_may_not_share_a_directory(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][4]["files"] = [_file("llm/l/other.gguf", sha="", size=None)]
    assert "share dest directory 'llm/l'" in _error(doc, tmp_path)


def test_duplicate_name_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][4]["name"] = "l"
    assert "duplicate model name 'l'" in _error(doc, tmp_path)


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][0]["files"][0]["sha265"] = H  # a typo must not go unnoticed
    assert "unknown key(s) sha265" in _error(doc, tmp_path)


@pytest.mark.parametrize("dest", ["../evil/x/y.gguf", "/abs/l/m.gguf", "llm/l/../m.gguf", "llm\\l\\m.gguf",
                                  "m.gguf", "llm/l/m.gguf.sha256", "llm/l/.hidden.gguf"])
def test_unsafe_or_reserved_dest_is_an_error(tmp_path: Path, dest: str) -> None:
    doc = _doc()
    doc["model"][1]["files"] = [_file(dest)]
    assert repr(dest) in _error(doc, tmp_path)


def test_dest_must_be_under_role_directory(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][1]["files"] = [_file("tts/l/m.gguf")]
    assert "must be under 'llm/'" in _error(doc, tmp_path)


def test_model_files_must_share_one_directory(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][0]["files"][1]["dest"] = "stt/other/config.json"
    assert "share one dest directory" in _error(doc, tmp_path)


@pytest.mark.parametrize(
    ("index", "files", "needle"),
    [
        (1, [_file("llm/l/m.bin")], "exactly one GGUF"),
        (2, [_file("tts/t/v.onnx")], "exactly one voice config"),
        (2, [_file("tts/t/v.onnx.json")], "exactly one ONNX voice"),
        (3, [_file("turn/k/a.onnx"), _file("turn/k/b.onnx")], "found 2"),
        (0, [_file("stt/s/config.json")], "model.bin"),
    ],
)
def test_role_specific_layout_is_checked(tmp_path: Path, index: int, files: list, needle: str) -> None:
    doc = _doc()
    doc["model"][index]["files"] = copy.deepcopy(files)
    assert needle in _error(doc, tmp_path)


def test_defaults_must_name_existing_model_of_that_role(tmp_path: Path) -> None:
    doc = _doc()
    doc["defaults"]["llm"] = "ghost"
    assert "names no [[model]] entry" in _error(doc, tmp_path)
    doc["defaults"]["llm"] = "t"
    assert "has role 'tts'" in _error(doc, tmp_path)
    doc["defaults"]["vision"] = "s"
    doc["defaults"]["llm"] = "l"
    assert "unknown role 'vision'" in _error(doc, tmp_path)


def test_required_defaults_must_be_present(tmp_path: Path) -> None:
    doc = _doc()
    del doc["defaults"]["tts"]
    assert "no default model for role(s) tts" in _error(doc, tmp_path)


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ({"kind": "ftp", "path": "x"}, "kind 'ftp'"),
        ({"kind": "huggingface", "repo": "norepo", "revision": "main"}, "owner/name"),
        ({"kind": "pypi-wheel", "package": "p"}, "missing key(s) version"),
        ("pkg==1", "must be a table"),
    ],
)
def test_bad_source_is_an_error(tmp_path: Path, source: object, needle: str) -> None:
    doc = _doc()
    doc["model"][1]["source"] = source
    assert needle in _error(doc, tmp_path)


def test_load_manifest_reports_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="manifest not found"):
        load_manifest(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('version = "1"\n[defaults\n')
    with pytest.raises(ManifestError, match="invalid TOML"):
        load_manifest(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text('version = "1"\n[defaults]\nstt = "x"\n')
    with pytest.raises(ManifestError, match="missing key"):
        load_manifest(empty)


# ------------------------------------------------------------------ the real manifest

EXPECTED_DEFAULT_DIRS = {
    "stt": "stt/tiny.en",
    "llm": "llm/smollm2-135m-instruct-q4_1",
    "tts": "tts/en_US-joe-medium",
    "turn": "turn/smart-turn-v3.2",
}


def test_real_manifest_defaults_are_pinned_pypi_wheels() -> None:
    m = load_manifest(DEFAULT_MANIFEST)
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", m.version)
    assert set(m.defaults) == set(EXPECTED_DEFAULT_DIRS)
    for model in m.default_models():
        assert model.dest_dir == EXPECTED_DEFAULT_DIRS[model.role]
        assert isinstance(model.source, PypiWheelSpec), model.name
        assert model.license
        for f in model.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), f.dest
            assert f.size is not None and f.size > 0, f.dest
    stt = m.default("stt")
    assert stt is not None
    assert {f.dest.rsplit("/", 1)[1] for f in stt.files} == {
        "config.json", "model.bin", "tokenizer.json", "vocabulary.txt"
    }


def test_real_manifest_lists_optional_huggingface_models() -> None:
    m = load_manifest(DEFAULT_MANIFEST)
    hf = [x for x in m.models if isinstance(x.source, HuggingFaceSpec)]
    assert {x.role for x in hf} >= {"stt", "llm", "tts"}
    assert not any(m.is_default(x) for x in hf)
    repos = {x.source.repo for x in hf}  # type: ignore[union-attr]
    assert "Systran/faster-whisper-base.en" in repos and "Qwen/Qwen2.5-0.5B-Instruct-GGUF" in repos
