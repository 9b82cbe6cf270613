"""An in-memory Hugging Face Hub on 127.0.0.1, so tests run the real client offline.

`LocalHub` speaks the subset of the Hub HTTP protocol that `huggingface_hub` 2.x
uses to download (`hf_hub_download`, `snapshot_download`, `list_repo_files`) and to
upload (`create_repo`, `upload_folder`, `upload_file`). Only model repos and the
`main` branch exist; revisions are `main` or a full commit sha. Files larger than
`lfs_threshold` are served like LFS files: a 302 to a blob URL, with the sha256 as
linked ETag. Xet is never advertised, so the client uses plain HTTP.

Loaded as a pytest plugin (see `conftest.py`); fixtures: `local_hub`, `hub_env`,
`hub_as_default`, `no_retry_sleep`.
"""

import base64
import collections
import contextlib
import dataclasses
import hashlib
import http.server
import json
import os
import pathlib
import re
import socket
import sys
import threading
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

LFS_THRESHOLD = 10_000
FAKE_TOKEN = "hf_test_token"
FAKE_USER = "test-user"

_RESOLVE = re.compile(r"/(?P<repo>.+?)/resolve/(?P<rev>[^/]+)/(?P<path>.+)")
_BLOB = re.compile(r"/lfs-blobs/(?P<sha>[0-9a-f]{40})/(?P<path>.+)")
_REPO_API = re.compile(
    r"/api/models/(?P<repo>.+?)/(?P<op>revision|tree|preupload|commit)"
    r"/(?P<rev>[^/]+)(?:/(?P<path>.*))?"
)
_MODEL_INFO = re.compile(r"/api/models/(?P<repo>[^/]+(?:/[^/]+)?)")
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def git_blob_sha1(data: bytes) -> str:
    """Git object id of a blob: the Hub's ETag for a regular (non-LFS) file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclasses.dataclass(frozen=True)
class Commit:
    sha: str
    files: dict[str, bytes]
    message: str


class HubError(Exception):
    """An error answer: HTTP status, `X-Error-Code` (drives the client's exception
    type), JSON message and extra headers."""

    def __init__(self, status, message, code=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = headers or {}


class LocalHub:
    """In-memory Hub: `repo_id -> [Commit, ...]`, `main` is the last commit.

    Fault injection, keyed by `(repo_id, path)`: `corrupt` serves other bytes in
    place of the file (HEAD metadata still describes the real file); `truncate`
    drops the connection once the body reaches byte `n` of the file (a Range
    request starting at or after `n` succeeds, but huggingface_hub only resumes
    after a whole 10 MB chunk, so smaller files fail every retry).
    `stop()`/`start()` take the server down and up again on the same port.

    `requests` logs `(method, unquoted path)` of every request; `ranges` logs
    `(path, Range header)`; `downloads` counts file-content GETs per
    `(repo_id, path)`.
    """

    def __init__(self, lfs_threshold: int = LFS_THRESHOLD):
        self.lfs_threshold = lfs_threshold
        self.corrupt: dict[tuple[str, str], bytes] = {}
        self.truncate: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, str]] = []
        self.ranges: list[tuple[str, str]] = []
        self.downloads: collections.Counter = collections.Counter()
        self._repos: dict[str, list[Commit]] = {}
        self._by_sha: dict[str, tuple[str, Commit]] = {}
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        """Serve in a background thread (again on the same port after `stop()`)."""
        if self._server is None:
            self._server = _Server(("127.0.0.1", self._port), self)
            self._port = self._server.server_address[1]
            # A short poll interval keeps stop() (and fixture teardown) fast.
            threading.Thread(
                target=self._server.serve_forever, args=(0.05,), daemon=True
            ).start()

    def stop(self) -> None:
        """Stop serving: new connections are refused, open ones are cut."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def add_repo(self, repo_id, files, revision_note=None) -> str:
        """Create `repo_id` or add a commit on its `main`; returns the commit sha.

        `files` is a `{path: bytes}` dict or a folder; the commit holds exactly
        these files (it does not merge with the previous commit).
        """
        if isinstance(files, (str, os.PathLike)):
            root = pathlib.Path(files)
            files = {
                p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*"))
                if p.is_file()
            }
        files = {path: bytes(data) for path, data in files.items()}
        return self._add_commit(repo_id, files, revision_note or "Add files")

    def repo_files(self, repo_id, revision="main") -> dict[str, bytes]:
        """The files of `repo_id` at `revision`; KeyError if either is unknown."""
        try:
            return dict(self._resolve(repo_id, revision).files)
        except HubError as err:
            raise KeyError(err.message) from None

    def head(self, repo_id) -> str:
        """Commit sha of `main`."""
        return self._resolve(repo_id, "main").sha

    def _add_commit(self, repo_id, files, message) -> str:
        with self._lock:
            commits = self._repos.setdefault(repo_id, [])
            parent = commits[-1].sha if commits else ""
            digest = hashlib.sha1(f"{repo_id}\0{parent}\0{message}".encode())
            for path in sorted(files):
                digest.update(f"{path}\0{git_blob_sha1(files[path])}\0".encode())
            commit = Commit(digest.hexdigest(), files, message)
            commits.append(commit)
            self._by_sha[commit.sha] = (repo_id, commit)
            return commit.sha

    def _resolve(self, repo_id, revision) -> Commit:
        with self._lock:
            commits = self._repos.get(repo_id)
            if commits is None:
                raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
            if revision == "main":
                return commits[-1]
            for commit in commits:
                if commit.sha == revision:
                    return commit
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _log(self, method, path, range_header):
        with self._lock:
            self.requests.append((method, path))
            if range_header:
                self.ranges.append((path, range_header))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, hub):
        self.hub = hub
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        # Idle keep-alive sockets would otherwise keep answering after stop().
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def handle_error(self, request, client_address):
        # Dropped connections are routine here (stop(), truncation); bugs are not.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the Hub: the client pools
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def _dispatch(self):
        self.hub: LocalHub = self.server.hub
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.hub._log(self.command, unquote(url.path), self.headers.get("Range"))
        try:
            self._route(self.command, url.path)
        except HubError as err:
            headers = dict(err.headers)
            if err.code:
                headers["X-Error-Code"] = err.code
            self._send_json(err.status, {"error": err.message}, headers)

    do_GET = do_HEAD = do_POST = _dispatch

    def _route(self, method, path):
        read = method in ("GET", "HEAD")
        if read and (m := _RESOLVE.fullmatch(path)):
            self._serve_resolve(*map(unquote, m.group("repo", "rev", "path")))
        elif read and (m := _BLOB.fullmatch(path)):
            self._serve_blob(m["sha"], unquote(m["path"]))
        elif method == "GET" and path == "/api/whoami-v2":
            self._send_json(200, _whoami())
        elif method == "POST" and path == "/api/repos/create":
            self._create_repo()
        elif method == "POST" and path == "/api/validate-yaml":
            self._send_json(200, {"errors": [], "warnings": []})
        elif m := _REPO_API.fullmatch(path):
            repo_id, rev = unquote(m["repo"]), unquote(m["rev"])
            op = (method, m["op"])
            if op == ("GET", "revision"):
                self._model_info(repo_id, rev)
            elif op == ("GET", "tree"):
                self._tree(repo_id, rev, unquote(m["path"] or ""))
            elif op == ("POST", "preupload"):
                self._preupload(repo_id, rev)
            elif op == ("POST", "commit"):
                self._commit(repo_id, rev)
            else:
                raise HubError(501, f"LocalHub does not emulate {method} {path}")
        elif method == "GET" and (m := _MODEL_INFO.fullmatch(path)):
            self._model_info(unquote(m["repo"]), "main")
        else:
            raise HubError(501, f"LocalHub does not emulate {method} {path}")

    # -- downloads ---------------------------------------------------------------

    def _serve_resolve(self, repo_id, rev, path):
        commit = self.hub._resolve(repo_id, rev)
        data = commit.files.get(path)
        headers = {"X-Repo-Commit": commit.sha}
        if data is None:
            # The client caches the non-existence under this commit.
            raise HubError(404, f"{path} not found", "EntryNotFound", headers)
        headers["ETag"] = f'"{git_blob_sha1(data)}"'
        if len(data) <= self.hub.lfs_threshold:
            return self._send_file(repo_id, path, data, headers)
        headers["X-Linked-Etag"] = f'"{hashlib.sha256(data).hexdigest()}"'
        headers["X-Linked-Size"] = str(len(data))
        headers["Location"] = (
            f"{self.hub.endpoint}/lfs-blobs/{commit.sha}/{quote(path)}"
        )
        self._send(302, b"", headers)

    def _serve_blob(self, sha, path):
        repo_id, commit = self.hub._by_sha.get(sha, (None, None))
        if commit is None or path not in commit.files:
            raise HubError(404, "blob not found")
        data = commit.files[path]
        # The client follows same-host redirects and reads the file metadata from
        # this final answer, so it repeats what the Hub's 302 would carry.
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
            "X-Linked-Size": str(len(data)),
        }
        self._send_file(repo_id, path, data, headers)

    def _send_file(self, repo_id, path, data, headers):
        get = self.command == "GET"
        body = self.hub.corrupt.get((repo_id, path), data) if get else data
        start, end, status = 0, len(body), 200
        headers["Accept-Ranges"] = "bytes"
        if get and (m := _RANGE.fullmatch(self.headers.get("Range", ""))):
            start, status = int(m[1]), 206
            end = min(int(m[2]) + 1, end) if m[2] else end
            if start >= end:
                raise HubError(416, "range not satisfiable")
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
        cut = self.hub.truncate.get((repo_id, path))
        if get:
            with self.hub._lock:
                self.hub.downloads[(repo_id, path)] += 1
        if get and cut is not None and start < cut < end:
            return self._send(status, body[start:end], headers, limit=cut - start)
        self._send(status, body[start:end], headers)

    # -- API -----------------------------------------------------------------------

    def _model_info(self, repo_id, rev):
        commit = self.hub._resolve(repo_id, rev)
        siblings = [{"rfilename": path} for path in sorted(commit.files)]
        info = {"id": repo_id, "modelId": repo_id, "sha": commit.sha}
        self._send_json(200, {**info, "private": False, "siblings": siblings})

    def _tree(self, repo_id, rev, folder):
        commit = self.hub._resolve(repo_id, rev)
        recursive = self.query.get("recursive", ["false"])[0].lower() == "true"
        base = folder.strip("/") + "/" if folder.strip("/") else ""
        entries = {}
        for path, data in commit.files.items():
            if not path.startswith(base):
                continue
            parts = path[len(base) :].split("/")
            depth = len(parts) if recursive else 1
            for i in range(1, min(len(parts), depth + 1)):
                sub = base + "/".join(parts[:i])
                oid = git_blob_sha1(sub.encode())  # any stable id will do for a tree
                entries[sub] = {"type": "directory", "oid": oid, "size": 0, "path": sub}
            if len(parts) <= depth:
                entries[path] = self._file_entry(path, data)
        if base and not entries:
            raise HubError(404, f"{folder} not found", "EntryNotFound")
        self._send_json(200, [entries[path] for path in sorted(entries)])

    def _file_entry(self, path, data):
        entry = {"type": "file", "oid": git_blob_sha1(data), "size": len(data)}
        if len(data) > self.hub.lfs_threshold:
            sha256 = hashlib.sha256(data).hexdigest()
            entry["lfs"] = {"oid": sha256, "size": len(data), "pointerSize": 134}
        return {**entry, "path": path}

    def _create_repo(self):
        self._require_token()
        payload = json.loads(self.body)
        if payload.get("type", "model") not in (None, "model"):
            raise HubError(400, "LocalHub only emulates model repos")
        repo_id = f"{payload.get('organization') or FAKE_USER}/{payload['name']}"
        url = f"{self.hub.endpoint}/{repo_id}"
        with self.hub._lock:
            if repo_id in self.hub._repos:
                # `exist_ok=True` turns this 409 into success, reading "url".
                error = "You already created this model repo"
                return self._send_json(409, {"error": error, "url": url})
            self.hub._add_commit(repo_id, {}, "initial commit")
        self._send_json(200, {"url": url, "name": repo_id, "id": repo_id})

    def _preupload(self, repo_id, rev):
        self._require_token()
        files = self._writable(repo_id, rev).files
        answer = [
            {
                "path": f["path"],
                "uploadMode": "regular",  # never LFS/Xet: contents come inline
                "shouldIgnore": False,
                # Lets the client skip unchanged files, as on the real Hub.
                "oid": git_blob_sha1(files[f["path"]]) if f["path"] in files else None,
            }
            for f in json.loads(self.body)["files"]
        ]
        self._send_json(200, {"files": answer})

    def _commit(self, repo_id, rev):
        self._require_token()
        lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        header = lines[0]["value"]
        with self.hub._lock:
            parent = self._writable(repo_id, rev)
            if header.get("parentCommit") not in (None, parent.sha):
                raise HubError(412, "parentCommit is not the head of main")
            files = dict(parent.files)
            for line in lines[1:]:
                key, path = line["key"], line["value"]["path"]
                if key == "file":
                    files[path] = base64.b64decode(line["value"]["content"])
                elif key == "deletedFile":
                    files.pop(path, None)
                elif key == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    files = {p: d for p, d in files.items() if not p.startswith(prefix)}
                else:
                    raise HubError(400, f"LocalHub does not support {key!r} operations")
            sha = self.hub._add_commit(repo_id, files, header["summary"])
        url = f"{self.hub.endpoint}/{repo_id}/commit/{sha}"
        answer = {"success": True, "commitOid": sha, "commitUrl": url}
        self._send_json(200, {**answer, "pullRequestUrl": None})

    def _writable(self, repo_id, rev) -> Commit:
        if rev != "main" or "create_pr" in self.query:
            raise HubError(400, "LocalHub only accepts commits to main")
        return self.hub._resolve(repo_id, rev)

    def _require_token(self):
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            raise HubError(401, "Invalid username or password.")

    # -- plumbing ------------------------------------------------------------------

    def _send_json(self, status, obj, headers=None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        self._send(status, json.dumps(obj).encode(), headers)

    def _send(self, status, body, headers, limit=None):
        """Answer with `body`, or only its first `limit` bytes then hang up."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body if limit is None else body[:limit])
        if limit is not None:
            self.close_connection = True


def _whoami():
    token = {"displayName": "local test token", "role": "write"}
    auth = {"type": "access_token", "accessToken": token}
    return {"type": "user", "name": FAKE_USER, "orgs": [], "auth": auth}


# -- pytest fixtures -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HubEnv:
    """What code under test needs to reach the local Hub: pass `endpoint=` and
    `cache_dir=` explicitly (huggingface_hub reads HF_ENDPOINT at import)."""

    hub: LocalHub
    endpoint: str
    cache_dir: str
    token: str = FAKE_TOKEN


class _InstantTime:
    """Stands in for `time` inside huggingface_hub: sleeps are recorded, not slept."""

    def __init__(self):
        self.sleeps: list[float] = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def local_hub():
    """A running, empty `LocalHub`."""
    with LocalHub() as hub:
        yield hub


@pytest.fixture
def hub_env(local_hub, tmp_path, monkeypatch):
    """`local_hub` plus an isolated HF home/cache and a fake token."""
    import huggingface_hub.constants

    home = tmp_path / "hf_home"
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    # Read at import, so set the constants too: an inherited HF_HUB_OFFLINE=1 would
    # otherwise short-circuit every call this fixture exists to exercise.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_TELEMETRY", True)
    return HubEnv(local_hub, local_hub.endpoint, str(home / "hub"))


@pytest.fixture
def hub_as_default(hub_env, monkeypatch):
    """`hub_env`, also made huggingface_hub's default endpoint and cache.

    For code that cannot take `endpoint=`/`cache_dir=`, such as Keras'
    `model.save("hf://...")` and `keras.saving.load_model("hf://...")`.
    """
    import huggingface_hub.constants as constants

    template = hub_env.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "ENDPOINT", hub_env.endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", hub_env.cache_dir)
    return hub_env


@pytest.fixture
def no_retry_sleep(monkeypatch):
    """Make huggingface_hub's retry back-off (~23 s per outage) instant.

    Returns the stand-in; `.sleeps` lists the waits that were skipped.
    """
    import huggingface_hub.file_download
    import huggingface_hub.utils._http

    instant = _InstantTime()
    monkeypatch.setattr(huggingface_hub.utils._http, "time", instant)
    monkeypatch.setattr(huggingface_hub.file_download, "time", instant)
    return instant
