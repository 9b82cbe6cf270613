"""The local Hub emulator works with the real huggingface_hub client."""

import hashlib
import pathlib
import socket
import time

import httpx2
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

REPO = "keras-style/emulator-test"
SMALL = b'{"style": "wave"}\n'
LARGE = bytes(range(256)) * 100  # 25.6 kB: above the LFS threshold


def download(env, filename, **kwargs):
    return hf_hub_download(
        REPO, filename, endpoint=env.endpoint, cache_dir=env.cache_dir, **kwargs
    )


def test_small_file_downloads_once_then_comes_from_cache(hub_env):
    hub_env.hub.add_repo(REPO, {"config.json": SMALL})

    first = download(hub_env, "config.json")
    second = download(hub_env, "config.json")

    assert pathlib.Path(first).read_bytes() == SMALL
    assert second == first
    assert hub_env.hub.downloads[(REPO, "config.json")] == 1
    assert (
        hub_env.hub.requests.count(("HEAD", f"/{REPO}/resolve/main/config.json")) == 2
    )


def test_large_file_is_served_like_lfs(hub_env):
    hub_env.hub.add_repo(REPO, {"weights.bin": LARGE})

    path = download(hub_env, "weights.bin")

    assert pathlib.Path(path).read_bytes() == LARGE
    # The client named the cached blob after X-Linked-Etag, the sha256.
    assert pathlib.Path(path).resolve().name == hashlib.sha256(LARGE).hexdigest()
    gets = [p for method, p in hub_env.hub.requests if method == "GET"]
    assert len(gets) == 1 and gets[0].startswith("/lfs-blobs/")


def test_commit_sha_pins_old_content(hub_env):
    old = hub_env.hub.add_repo(REPO, {"a.txt": b"v1"})
    hub_env.hub.add_repo(REPO, {"a.txt": b"v2"})

    assert pathlib.Path(download(hub_env, "a.txt", revision=old)).read_bytes() == b"v1"
    assert pathlib.Path(download(hub_env, "a.txt")).read_bytes() == b"v2"


def test_snapshot_download_and_listing(hub_env):
    files = {"config.json": SMALL, "nested/dir/weights.bin": LARGE, "b.txt": b"b"}
    sha = hub_env.hub.add_repo(REPO, files)

    folder = snapshot_download(
        REPO, endpoint=hub_env.endpoint, cache_dir=hub_env.cache_dir
    )

    assert pathlib.Path(folder).name == sha
    for name, data in files.items():
        assert (pathlib.Path(folder) / name).read_bytes() == data
    api = HfApi(endpoint=hub_env.endpoint)
    assert sorted(api.list_repo_files(REPO)) == sorted(files)
    top = {entry.path for entry in api.list_repo_tree(REPO)}
    assert top == {"config.json", "nested", "b.txt"}


def test_missing_repo_file_and_revision_raise_hub_errors(hub_env):
    hub_env.hub.add_repo(REPO, {"a.txt": b"a"})

    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(
            "nobody/nothing",
            "a.txt",
            endpoint=hub_env.endpoint,
            cache_dir=hub_env.cache_dir,
        )
    with pytest.raises(EntryNotFoundError):
        download(hub_env, "missing.txt")
    with pytest.raises(RevisionNotFoundError):
        download(hub_env, "a.txt", revision="0" * 40)


def test_outage_fails_fast_and_cached_files_survive(hub_env, no_retry_sleep):
    hub_env.hub.add_repo(REPO, {"cached.txt": b"c", "never.txt": b"n"})
    cached = download(hub_env, "cached.txt")
    hub_env.hub.stop()

    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(hub_env.endpoint.rsplit(":", 1)[1])))
    assert download(hub_env, "cached.txt") == cached  # falls back to the cache
    started = time.monotonic()
    with pytest.raises(LocalEntryNotFoundError) as info:
        download(hub_env, "never.txt")
    assert isinstance(info.value.__cause__, httpx2.ConnectError)
    assert no_retry_sleep.sleeps  # the back-off ran, without waiting
    assert time.monotonic() - started < 5

    hub_env.hub.start()
    assert pathlib.Path(download(hub_env, "never.txt")).read_bytes() == b"n"


def test_upload_round_trip(hub_env, tmp_path):
    api = HfApi(endpoint=hub_env.endpoint, token=hub_env.token)
    repo_id = api.create_repo("keras-style/uploaded").repo_id
    assert api.create_repo(repo_id, exist_ok=True).repo_id == repo_id
    folder = tmp_path / "model"
    (folder / "assets").mkdir(parents=True)
    (folder / "config.json").write_bytes(SMALL)
    (folder / "assets" / "weights.bin").write_bytes(LARGE)

    info = api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message="up")
    api.upload_file(
        path_or_fileobj=b"---\nlicense: apache-2.0\n---\n# Card\n",
        path_in_repo="README.md",
        repo_id=repo_id,
    )

    stored = hub_env.hub.repo_files(repo_id)
    assert stored["config.json"] == SMALL
    assert stored["assets/weights.bin"] == LARGE
    assert stored["README.md"].startswith(b"---\nlicense")
    assert hub_env.hub.repo_files(repo_id, revision=info.oid).keys() == {
        "config.json",
        "assets/weights.bin",
    }
    path = hf_hub_download(
        repo_id,
        "assets/weights.bin",
        endpoint=hub_env.endpoint,
        cache_dir=hub_env.cache_dir,
    )
    assert pathlib.Path(path).read_bytes() == LARGE


def test_corrupted_bytes_are_cached_silently(hub_env):
    hub_env.hub.add_repo(REPO, {"weights.bin": LARGE})
    bad = bytes(b ^ 0xFF for b in LARGE)
    hub_env.hub.corrupt[(REPO, "weights.bin")] = bad

    path = download(hub_env, "weights.bin")
    del hub_env.hub.corrupt[(REPO, "weights.bin")]

    # No verification: the blob is named after the real sha256 but holds other bytes,
    # and later calls keep returning it.
    assert pathlib.Path(path).resolve().name == hashlib.sha256(LARGE).hexdigest()
    assert pathlib.Path(download(hub_env, "weights.bin")).read_bytes() == bad


def test_truncated_download_fails_and_caches_nothing(hub_env, no_retry_sleep):
    hub_env.hub.add_repo(REPO, {"weights.bin": LARGE})
    hub_env.hub.truncate[(REPO, "weights.bin")] = 1000

    # The client reads 10 MB chunks, so a cut inside the first one loses the partial
    # chunk: every retry restarts from byte 0 and is cut again.
    with pytest.raises(httpx2.RemoteProtocolError):
        download(hub_env, "weights.bin")
    assert hub_env.hub.downloads[(REPO, "weights.bin")] == 6
    assert not list(pathlib.Path(hub_env.cache_dir).rglob("weights.bin"))

    del hub_env.hub.truncate[(REPO, "weights.bin")]
    assert pathlib.Path(download(hub_env, "weights.bin")).read_bytes() == LARGE


def test_hub_as_default_serves_calls_without_endpoint(hub_as_default):
    hub_as_default.hub.add_repo(REPO, {"a.txt": b"a"})

    path = hf_hub_download(REPO, "a.txt")

    assert path.startswith(hub_as_default.cache_dir)
    assert pathlib.Path(path).read_bytes() == b"a"


def test_range_requests(local_hub):
    local_hub.add_repo(REPO, {"a.bin": bytes(range(100))})
    url = f"{local_hub.endpoint}/{REPO}/resolve/main/a.bin"

    response = httpx2.get(url, headers={"Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.content == bytes(range(10, 20))
    assert response.headers["Content-Range"] == "bytes 10-19/100"
