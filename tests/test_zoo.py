"""The zoo against a local Hub and a local upstream mirror (real client code, offline)."""

import dataclasses
import functools
import hashlib
import http.server
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from test_convert import tiny_net

from keras_style import zoo
from keras_style.inference.stylizer import Stylizer
from keras_style.models.transform_net import TransformNet
from keras_style.presets import registry

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
PRESET_FILES = zoo.PRESET_FILES
IMAGE = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype="uint8")


# --- fixtures ---------------------------------------------------------------------


class Upstream:
    """A static file server standing in for raw.githubusercontent.com."""

    def __init__(self, root, delay=0.0):
        self.root, self.delay = pathlib.Path(root), delay
        self.gets = []
        upstream = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(upstream.root), **kwargs)

            def do_GET(self):
                upstream.gets.append(self.path)
                time.sleep(upstream.delay)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream(shared_data):
    server = Upstream(shared_data / "weights" / "lengstrom-ml5")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def zoo_env(monkeypatch, tmp_path):
    for var in ("HF_HUB_OFFLINE", "KERAS_STYLE_HUB_OWNER"):
        monkeypatch.delenv(var, raising=False)
    # Never the internet: upstream fallbacks not pointed at a test server hit a
    # closed local port.
    monkeypatch.setenv("KERAS_STYLE_UPSTREAM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KERAS_STYLE_CACHE", str(tmp_path / "default_cache"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture(scope="module")
def tiny_presets(tmp_path_factory):
    """Two small presets with different weights (same architecture)."""
    root = tmp_path_factory.mktemp("presets")
    dirs = []
    for seed in (1, 2):
        net = tiny_net(seed)
        dirs.append(
            net.save_to_preset(root / f"tiny{seed}", metadata={"name": f"tiny{seed}"})
        )
    return dirs


def publish(monkeypatch, hub, name, preset_dir, repo_exists=True):
    """Uploads `preset_dir` as the registry entry `name` and pins it."""
    entry = zoo.get_style(name)
    files = {f: (preset_dir / f).read_bytes() for f in PRESET_FILES}
    revision = hub.add_repo(entry.repo_id, files) if repo_exists else "a" * 40
    pins = {f: hashlib.sha256(data).hexdigest() for f, data in files.items()}
    pinned = dataclasses.replace(entry, revision=revision, sha256=pins)
    monkeypatch.setitem(registry._REGISTRY, name, pinned)
    return pinned


def outputs(stylizer):
    return np.asarray(stylizer.stylize(IMAGE), np.float32)


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


def loader(env, cache):
    return functools.partial(zoo.load, endpoint=env.endpoint, cache_dir=cache)


# --- registry and handles --------------------------------------------------------


LENGSTROM_STYLES = ["la_muse", "rain_princess", "scream", "udnie", "wave", "wreck"]


def test_registry_lists_the_six_styles(shared_data):
    assert zoo.available() == [
        "arbitrary",
        "la_muse",
        "magenta26",
        "rain_princess",
        "scream",
        "udnie",
        "wave",
        "wreck",
    ]
    for name in LENGSTROM_STYLES:
        e = zoo.get_style(name)
        assert e.repo_id == f"keras-style/lengstrom-{name.replace('_', '-')}"
        assert e.revision is None and not e.published  # not published yet
        assert "Engstrom" in e.licence and "non-commercial" in e.licence
        assert e.artist and e.title and e.description
        urls = e.source.urls()
        assert len(urls) == 49 and urls["Variable"].startswith(
            "https://raw.githubusercontent.com/ml5js/ml5-data-and-models/0612a3e7"
        )
        # The pins are the sha256 of the byte-identical local copies.
        folder = shared_data / "weights" / "lengstrom-ml5" / name
        for file, sha in e.source.sha256.items():
            assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == sha, file
        card = zoo.model_card(name)
        assert card.startswith("---\n") and "non-commercial" in card and e.title in card


def test_registry_pins_the_magenta_files(shared_data):
    e = zoo.get_style("arbitrary")
    assert "Apache" in e.licence and "Ghiasi" in e.attribution
    assert e.embedded and e.source.urls() is None  # ships inside the package
    folder = shared_data / "weights" / "magenta"
    for file, sha in e.source.sha256.items():
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == sha, file
    card = zoo.model_card("arbitrary")
    assert "apache-2.0" in card and "style_image=" in card and "BMVC 2017" in card
    assert zoo.get_style("arbitrary").styles == 0
    multi = zoo.get_style("magenta26")
    assert multi.styles == 26 and multi.embedded and multi.source.urls() is None
    for file, sha in multi.source.sha256.items():
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == sha, file
    card = zoo.model_card("magenta26")
    assert "--style magenta26:7" in card and "style=7" in card and "ICLR 2017" in card


def test_hub_owner_is_configurable(monkeypatch):
    monkeypatch.setenv("KERAS_STYLE_HUB_OWNER", "my-mirror")
    assert zoo.get_style("wave").repo_id == "my-mirror/lengstrom-wave"
    monkeypatch.setenv("KERAS_STYLE_HUB_OWNER", "../etc")
    with pytest.raises(ValueError, match="KERAS_STYLE_HUB_OWNER"):
        zoo.get_style("wave").repo_id  # noqa: B018


INVALID_HANDLES = [
    ("hf://../etc", ValueError),
    ("hf://owner/repo/extra", ValueError),
    ("hf://owner", ValueError),
    ("hf://own er/repo", ValueError),
    ("hf://owner/re..po", ValueError),
    ("hf://owner/repo@../../x", ValueError),
    ("hf://owner/repo@main;rm -rf", ValueError),
    ("https://example.com/model", ValueError),
    ("file:///etc/passwd", ValueError),
    ("vawe", ValueError),
    ("", TypeError),
    (42, TypeError),
    ("./no/such/dir", FileNotFoundError),
]


def test_invalid_handles():
    for handle, error in INVALID_HANDLES:
        with pytest.raises(error, match="Received"):
            zoo.download(handle)


def test_unknown_name_lists_available_styles():
    with pytest.raises(ValueError, match="la_muse, magenta26, rain_princess, scream"):
        zoo.load("vawe")
    with pytest.raises(ValueError, match="revision"):
        zoo.download("hf://a/b", revision="bad..rev")


def test_parse_hub_handle():
    assert zoo.parse_hub_handle("hf://keras-style/lengstrom-wave") == (
        "keras-style/lengstrom-wave",
        None,
    )
    assert zoo.parse_hub_handle("hf://a/b@" + "0" * 40) == ("a/b", "0" * 40)
    assert zoo.parse_hub_handle("hf://a/b@refs/pr/1") == ("a/b", "refs/pr/1")


def test_local_directory(tiny_presets):
    by_str = zoo.load(str(tiny_presets[0]))
    by_path = zoo.load(tiny_presets[0])
    assert isinstance(by_str, Stylizer) and by_str.name == "tiny1"
    assert same_weights(by_str.model, by_path.model)


def test_recipes_match_the_registry():
    spec = importlib.util.spec_from_file_location(
        "build_presets", PROJECT_ROOT / "zoo" / "build_presets.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for name in zoo.available():
        stored = json.loads(
            (PROJECT_ROOT / "zoo" / "recipes" / f"{name}.json").read_text()
        )
        assert stored == build.recipe(name), (
            f"zoo/recipes/{name}.json is stale: run python zoo/build_presets.py --write-recipes"
        )


# --- Hub ------------------------------------------------------------------------


def test_published_style_downloads_verifies_and_stylizes(
    hub_env, tmp_path, monkeypatch, tiny_presets
):
    entry = publish(monkeypatch, hub_env.hub, "scream", tiny_presets[0])
    load = loader(hub_env, tmp_path / "cache")

    stylizer = load("scream")

    assert stylizer.name == "scream"
    out = stylizer.stylize(IMAGE)
    assert out.size == (32, 24)
    assert same_weights(stylizer.model, TransformNet.from_preset_dir(tiny_presets[0]))
    assert stylizer.preset_dir.name == entry.revision  # the pinned commit's snapshot
    assert {p for (r, p) in hub_env.hub.downloads} == set(PRESET_FILES)

    # Second load: the pinned commit is cached, so no request at all.
    before = len(hub_env.hub.requests)
    load("scream")
    assert len(hub_env.hub.requests) == before


def test_hub_handle_revision_pinning(hub_env, tmp_path, tiny_presets):
    hub = hub_env.hub
    old = hub.add_repo("someone/style", tiny_presets[0])
    hub.add_repo("someone/style", tiny_presets[1])
    load = loader(hub_env, tmp_path / "cache")

    pinned = load(f"hf://someone/style@{old}")
    latest = load("hf://someone/style")
    by_kwarg = load("hf://someone/style", revision=old)

    tiny1, tiny2 = (TransformNet.from_preset_dir(p) for p in tiny_presets)
    assert same_weights(pinned.model, tiny1) and same_weights(by_kwarg.model, tiny1)
    assert same_weights(latest.model, tiny2)
    gets = sum(hub.downloads.values())
    load("hf://someone/style")  # main: metadata requests only, no new download
    assert sum(hub.downloads.values()) == gets
    with pytest.raises(ValueError, match="not both"):
        load(f"hf://someone/style@{old}", revision="main")
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    # Clear FileNotFoundErrors (one CLI line), the Hub's answer as the cause.
    with pytest.raises(zoo.StyleNotFoundError, match="has no revision '0000") as info:
        load("hf://someone/style@" + "0" * 40)
    assert isinstance(info.value.__cause__, RevisionNotFoundError)
    with pytest.raises(zoo.StyleNotFoundError, match="no repository") as info:
        load("hf://someone/missing")
    assert isinstance(info.value.__cause__, RepositoryNotFoundError)
    hub.add_repo("someone/not-a-preset", {"README.md": b"# hello"})
    with pytest.raises(zoo.StyleNotFoundError, match="config.json") as info:
        load("hf://someone/not-a-preset")
    assert isinstance(info.value.__cause__, EntryNotFoundError)


def test_checksum_mismatch_raises_and_leaves_nothing(
    hub_env, tmp_path, monkeypatch, tiny_presets
):
    entry = publish(monkeypatch, hub_env.hub, "scream", tiny_presets[0])
    weights = (tiny_presets[0] / "model.weights.h5").read_bytes()
    bad = bytearray(weights)
    bad[len(bad) // 2] ^= 0xFF  # same size: huggingface_hub would not notice
    hub_env.hub.corrupt[(entry.repo_id, "model.weights.h5")] = bytes(bad)
    cache = tmp_path / "cache"

    with pytest.raises(zoo.ChecksumError, match="sha256"):
        zoo.load("scream", endpoint=hub_env.endpoint, cache_dir=cache)

    cached = [p for p in (cache / "hub").rglob("*") if p.is_file() or p.is_symlink()]
    assert not any(p.name == hashlib.sha256(weights).hexdigest() for p in cached)
    assert not any(p.name == "model.weights.h5" for p in cached)
    assert not (cache / "presets").exists()  # no fallback on a bad download
    # Once the Hub serves the right bytes again, loading works.
    del hub_env.hub.corrupt[(entry.repo_id, "model.weights.h5")]
    zoo.load("scream", endpoint=hub_env.endpoint, cache_dir=cache)


def test_unpinned_handle_is_checked_against_the_hub_etag(
    hub_env, tmp_path, tiny_presets
):
    hub_env.hub.add_repo("someone/style", tiny_presets[0])
    config = (tiny_presets[0] / "config.json").read_bytes()
    hub_env.hub.corrupt[("someone/style", "config.json")] = config.replace(
        b"tanh", b"TANH"
    )
    with pytest.raises(zoo.ChecksumError, match="git sha1"):
        zoo.load(
            "hf://someone/style", endpoint=hub_env.endpoint, cache_dir=tmp_path / "c"
        )
    assert not list((tmp_path / "c" / "hub").rglob("config.json"))


def test_truncated_download_fails_cleanly_then_recovers(
    hub_env, tmp_path, monkeypatch, tiny_presets, no_retry_sleep
):
    # huggingface_hub resumes from the last complete 10 MB chunk, so a small file
    # cut at byte 5000 fails every retry: a clear error, nothing usable cached.
    entry = publish(monkeypatch, hub_env.hub, "scream", tiny_presets[0])
    hub_env.hub.truncate[(entry.repo_id, "model.weights.h5")] = 5000
    cache = tmp_path / "cache"
    with pytest.raises(zoo.StyleUnavailableError, match="Hub"):
        zoo.load("scream", endpoint=hub_env.endpoint, cache_dir=cache)
    assert not list((cache / "hub").rglob("model.weights.h5"))
    assert not list((cache / "presets").glob("wave-*"))  # upstream was down too

    del hub_env.hub.truncate[(entry.repo_id, "model.weights.h5")]
    stylizer = zoo.load("scream", endpoint=hub_env.endpoint, cache_dir=cache)
    assert same_weights(stylizer.model, TransformNet.from_preset_dir(tiny_presets[0]))


def test_upload_then_load_round_trip(hub_env, tmp_path, tiny_presets):
    published = zoo.upload(
        tiny_presets[1],
        "hf://someone/uploaded",
        token=hub_env.token,
        endpoint=hub_env.endpoint,
    )
    assert published.repo_id == "someone/uploaded"
    assert published.revision == hub_env.hub.head("someone/uploaded")
    stored = hub_env.hub.repo_files("someone/uploaded")
    assert sorted(stored) == sorted(PRESET_FILES)
    assert (
        published.sha256["model.weights.h5"]
        == hashlib.sha256(stored["model.weights.h5"]).hexdigest()
    )

    loaded = zoo.load(
        f"hf://someone/uploaded@{published.revision}",
        endpoint=hub_env.endpoint,
        cache_dir=tmp_path / "cache",
    )
    assert same_weights(loaded.model, TransformNet.from_preset_dir(tiny_presets[1]))
    with pytest.raises(ValueError, match="main branch"):
        zoo.upload(
            tiny_presets[1],
            "hf://someone/uploaded@v1",
            token=hub_env.token,
            endpoint=hub_env.endpoint,
        )
    with pytest.raises(FileNotFoundError, match="missing"):
        zoo.upload(
            tmp_path, "hf://someone/x", token=hub_env.token, endpoint=hub_env.endpoint
        )


# --- upstream fallback -------------------------------------------------------------


def test_missing_repo_falls_back_to_upstream(
    hub_env, upstream, tmp_path, monkeypatch, tiny_presets, shared_data
):
    publish(monkeypatch, hub_env.hub, "udnie", tiny_presets[0], repo_exists=False)
    load = functools.partial(
        loader(hub_env, tmp_path / "cache"), upstream_url=upstream.url
    )

    stylizer = load("udnie")

    assert len(upstream.gets) == 49 and all(
        p.startswith("/udnie/") for p in upstream.gets
    )
    from keras_style.convert.lengstrom import convert_lengstrom

    reference = convert_lengstrom(shared_data / "weights" / "lengstrom-ml5" / "udnie")
    assert same_weights(stylizer.model, reference)
    meta = stylizer.metadata
    assert meta["name"] == "udnie" and "non-commercial" in meta["licence"]
    assert (
        meta["source"]["sha256"]["Variable"]
        == zoo.get_style("udnie").source.sha256["Variable"]
    )
    assert "Logan Engstrom" in (stylizer.preset_dir / "README.md").read_text()
    # Cached: the second load asks nobody for anything but the Hub (repo missing).
    hub_requests = len(hub_env.hub.requests)
    load("udnie")
    assert len(upstream.gets) == 49
    assert len(hub_env.hub.requests) - hub_requests <= 1


def test_unpublished_style_skips_the_hub(hub_env, upstream, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_STYLE_UPSTREAM_URL", upstream.url)
    stylizer = zoo.load("wreck", endpoint=hub_env.endpoint)  # default cache: env
    assert hub_env.hub.requests == []
    assert len(upstream.gets) == 49
    assert pathlib.Path(os.environ["KERAS_STYLE_CACHE"]) in stylizer.preset_dir.parents
    assert stylizer.stylize(IMAGE).size == (32, 24)


def test_built_preset_has_the_umask_mode(upstream, tmp_path):
    # The build goes through mkdtemp (0700) and is renamed into place: a shared
    # cache must still be readable by its other users.
    old = os.umask(0o022)
    try:
        preset = zoo.build_preset("wave", tmp_path / "p", upstream_url=upstream.url)
    finally:
        os.umask(old)
    assert preset == tmp_path / "p" and (preset / "model.weights.h5").is_file()
    assert preset.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no temp leftovers
    gets = len(upstream.gets)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        zoo.build_preset("wave", preset, upstream_url=upstream.url)
    assert len(upstream.gets) == gets  # refused before downloading anything


def test_upstream_checksum_mismatch_caches_nothing(tmp_path, shared_data):
    mirror = tmp_path / "mirror"
    (mirror / "scream").mkdir(parents=True)
    for f in (shared_data / "weights" / "lengstrom-ml5" / "scream").iterdir():
        (mirror / "scream" / f.name).write_bytes(f.read_bytes())
    data = bytearray((mirror / "scream" / "Variable_7").read_bytes())
    data[0] ^= 1
    (mirror / "scream" / "Variable_7").write_bytes(bytes(data))
    server = Upstream(mirror)
    try:
        with pytest.raises(zoo.ChecksumError, match="Variable_7"):
            zoo.load("scream", cache_dir=tmp_path / "cache", upstream_url=server.url)
    finally:
        server.stop()
    leftovers = [
        p for p in (tmp_path / "cache").rglob("*") if not p.name.endswith(".lock")
    ]
    assert all(p.is_dir() for p in leftovers) and not list(
        (tmp_path / "cache" / "presets").glob("scream*")
    )


# --- offline, outages, concurrency ---------------------------------------------------


def test_offline_uses_the_cache_or_says_what_to_do(
    hub_env, upstream, tmp_path, monkeypatch, tiny_presets
):
    publish(monkeypatch, hub_env.hub, "wreck", tiny_presets[0])
    hub_env.hub.add_repo("someone/style", tiny_presets[1])
    cache = tmp_path / "cache"
    load = functools.partial(loader(hub_env, cache), upstream_url=upstream.url)
    online = [load("wreck"), load("hf://someone/style"), load("la_muse")]
    hub_env.hub.stop()
    upstream.stop()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    offline = [load("wreck"), load("hf://someone/style"), load("la_muse")]
    for a, b in zip(online, offline):
        assert same_weights(a.model, b.model)
    with pytest.raises(
        zoo.StyleUnavailableError, match="keras-style zoo download scream"
    ):
        load("scream")
    with pytest.raises(zoo.StyleUnavailableError, match="HF_HUB_OFFLINE"):
        load("scream")
    with pytest.raises(FileNotFoundError):  # StyleUnavailableError is one
        load("hf://someone/other")


def test_server_down_fails_fast_with_advice(
    hub_env, tmp_path, monkeypatch, tiny_presets, no_retry_sleep
):
    publish(monkeypatch, hub_env.hub, "wreck", tiny_presets[0])
    hub_env.hub.stop()
    dead = Upstream(tmp_path)
    dead.stop()  # a port nobody listens on
    started = time.monotonic()
    with pytest.raises(zoo.StyleUnavailableError) as info:
        zoo.load(
            "wreck",
            endpoint=hub_env.endpoint,
            cache_dir=tmp_path / "c",
            upstream_url=dead.url,
        )
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert (
        "Hub" in message and "upstream" in message and "zoo download wreck" in message
    )
    with pytest.raises(zoo.StyleUnavailableError, match="hf://someone/style"):
        zoo.load(
            "hf://someone/style", endpoint=hub_env.endpoint, cache_dir=tmp_path / "c"
        )


def test_concurrent_loads_build_once(shared_data, tmp_path):
    # Two processes start loading the same unpublished style at the same moment;
    # the file lock makes one build while the other waits, then both load it.
    # The subprocesses use Keras' numpy backend without TensorFlow (like the GPU
    # machines): what is tested is the cache locking, and this starts in ~3 s
    # where TensorFlow/torch/JAX take 8-12 s (Keras' serializer would import
    # TensorFlow just to check for TensorShapes).
    server = Upstream(shared_data / "weights" / "lengstrom-ml5", delay=0.05)
    cache, go = tmp_path / "cache", tmp_path / "go"
    code = (
        "import pathlib, sys, time\n"
        "sys.modules['tensorflow'] = None\n"
        "from keras_style import zoo\n"
        "cache, url, go, me = sys.argv[1:]\n"
        "pathlib.Path(go + me).touch()\n"
        "while not pathlib.Path(go).exists(): time.sleep(0.01)\n"
        "print(zoo.load('udnie', cache_dir=cache, upstream_url=url).preset_dir)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "numpy", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("HF_HUB_OFFLINE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    procs = []
    try:
        for me in ("1", "2"):
            args = [sys.executable, "-c", code, str(cache), server.url, str(go), me]
            procs.append(
                subprocess.Popen(
                    args,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + 120
        while not all(pathlib.Path(f"{go}{me}").exists() for me in "12"):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.02)
        go.touch()
        results = [p.communicate(timeout=240) for p in procs]
    finally:
        server.stop()
        for p in procs:
            if p.poll() is None:
                p.kill()
    for proc, (_, err) in zip(procs, results):
        assert proc.returncode == 0, err[-2000:]
    dirs = {out.strip().splitlines()[-1] for out, _ in results}
    assert len(dirs) == 1
    assert len(server.gets) == 49  # each upstream file fetched once: one build
    assert (pathlib.Path(dirs.pop()) / "model.weights.h5").is_file()
