"""Bulk stylization on a local Ray cluster (`keras_style.distributed`).

Runs on one CI leg (the Ray plumbing does not depend on the Keras backend;
each worker runs the package's own `Stylizer`, tested on every backend).
One local cluster (`ray.init(num_cpus=2)`, no network) serves the module.
"""

import os
import pathlib
import signal
import threading
import time

import keras
import numpy as np
import pytest
from PIL import Image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        keras.backend.backend() != "tensorflow",
        reason="one CI leg is enough: Ray's side does not depend on the backend",
    ),
]
ray = pytest.importorskip("ray")

from test_video import moving_frames, read_video, write_clip  # noqa: E402

from keras_style import zoo  # noqa: E402
from keras_style.cli import main  # noqa: E402
from keras_style.distributed import stylize_dataset  # noqa: E402

SIZES = [(32, 48), (48, 32), (40, 40), (56, 64)]
MODES = ["RGB", "L", "RGBA", "P", "CMYK"]
# crf=0: lossless H.264. Workers may differ from the one-process run by one
# level (other thread counts and batches pick other oneDNN kernels), and a
# lossy encoder turns that into several levels of quantisation noise.
VIDEO_OPTIONS = dict(consistency="none", crf=0)


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    # The workers inherit these: credentials for the local S3 server below.
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
    )
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()
    os.environ.clear()
    os.environ.update(saved)


def _photos(folder, count, seed=0):
    """`count` images of mixed sizes and modes, some in a sub-folder."""
    rng = np.random.default_rng(seed)
    names = []
    for i in range(count):
        h, w = SIZES[i % len(SIZES)]
        mode = MODES[i % len(MODES)]
        ext = ".jpg" if mode == "CMYK" else ".png"
        name = f"{'sub/' if i % 3 == 0 else ''}photo{i:02d}{ext}"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).convert(mode).save(folder / name)
        names.append(name)
    return names


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """~40 photos, 2 broken files and a short video."""
    folder = tmp_path_factory.mktemp("media")
    names = _photos(folder, 38)
    (folder / "broken.jpg").write_bytes(b"not an image at all")
    png = (folder / names[1]).read_bytes()
    (folder / "sub" / "truncated.png").write_bytes(png[: len(png) // 3])
    write_clip(folder / "clip.mp4", moving_frames(6))
    return folder, names


@pytest.fixture(scope="module")
def reference(media, tmp_path_factory):
    """The one-process `stylize_folder` run of the same folder."""
    folder, _ = media
    out = tmp_path_factory.mktemp("reference")
    result = zoo.load("wave").stylize_folder(
        folder, out, verbose=0, video_options=VIDEO_OPTIONS
    )
    return out, result


def _max_difference(a, b):
    x = np.asarray(Image.open(a).convert("RGBA"), np.int16)
    y = np.asarray(Image.open(b).convert("RGBA"), np.int16)
    assert x.shape == y.shape, (a, b)
    return int(np.abs(x - y).max())


def _files(folder):
    return sorted(
        p.relative_to(folder).as_posix()
        for p in pathlib.Path(folder).rglob("*")
        if p.is_file() and ".keras-style" not in p.parts
    )


def test_folder_equals_one_process_run_and_rerun_writes_nothing(
    media, reference, tmp_path
):
    folder, names = media
    ref_out, ref_result = reference
    out = tmp_path / "out"
    result = stylize_dataset(
        folder,
        out,
        "wave",
        num_actors=2,
        batch_size=4,
        video_options=VIDEO_OPTIONS,
        verbose=0,
    )
    assert sorted(result.failed) == ["broken.jpg", "sub/truncated.png"]
    assert "not an image file" in result.failed["broken.jpg"]
    assert result.skipped == []
    assert sorted(result.written) == sorted([*names, "clip.mp4"])
    # Same names as the one-process run, same pixels within one level.
    assert _files(out) == _files(ref_out)
    assert len(ref_result.written) == len(result.written)
    for name in names:
        assert _max_difference(out / name, ref_out / name) <= 1, name
    frames, _, _ = read_video(out / "clip.mp4")
    ref_frames, _, _ = read_video(ref_out / "clip.mp4")
    assert len(frames) == len(ref_frames) == 6
    diff = np.abs(np.stack(frames).astype(int) - np.stack(ref_frames)).mean()
    assert diff < 1.0

    # A rerun with the same settings writes nothing and says so.
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = stylize_dataset(
        folder,
        out,
        "wave",
        num_actors=2,
        batch_size=4,
        video_options=VIDEO_OPTIONS,
        verbose=0,
    )
    assert again.written == []
    assert sorted(again.skipped) == sorted(result.written)
    assert sorted(again.failed) == ["broken.jpg", "sub/truncated.png"]
    for path, mtime in mtimes.items():
        assert path.stat().st_mtime_ns == mtime, path

    # Other settings are another run: everything is written again.
    other = stylize_dataset(
        folder,
        out,
        "wave",
        strength=0.5,
        num_actors=1,
        batch_size=8,
        video_options=VIDEO_OPTIONS,
        verbose=0,
    )
    assert sorted(other.written) == sorted(result.written)
    assert other.skipped == []


def _worker_pids():
    pids = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"StylizeWorker" in cmdline:
            pids.append(int(proc.name))
    return pids


def test_a_killed_worker_is_replaced_and_nothing_is_lost(tmp_path):
    folder = tmp_path / "in"
    names = _photos(folder, 24, seed=1)
    out = tmp_path / "out"
    records = out / ".keras-style" / "runs"
    killed = []

    def kill_one_worker_mid_run():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = records.rglob("*.json") if records.exists() else []
            done = [p for p in found if p.name != "settings.json"]  # batches
            pids = _worker_pids()
            if done and pids:  # a batch written, most still to come
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker_mid_run)
    killer.start()
    result = stylize_dataset(folder, out, "wave", num_actors=2, batch_size=1, verbose=0)
    killer.join()
    assert killed, "no worker was killed: the run ended before the killer acted"
    assert result.failed == {}
    # Every file once, none missing, no partial file left behind.
    assert sorted(result.written) == sorted(names)
    assert _files(out) == sorted(names)
    assert not [p for p in out.rglob("*.part*")]
    for name in names:
        Image.open(out / name).load()


@pytest.fixture(scope="module")
def s3():
    """A local S3-compatible server (moto's), and the URI options to reach it."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield (
        f"endpoint_override={host}:{port}&scheme=http&region=us-east-1"
        "&allow_bucket_creation=true"
    )
    server.stop()


def test_s3_bucket_in_and_out_with_a_multi_style_network(s3, tmp_path):
    from pyarrow import fs as pafs

    folder = tmp_path / "in"
    names = _photos(folder, 6, seed=2)
    (folder / "broken.png").write_bytes(b"broken")
    bucket, _ = pafs.FileSystem.from_uri(f"s3://photos?{s3}")
    bucket.create_dir("photos")
    pafs.copy_files(str(folder), "photos/in", pafs.LocalFileSystem(), bucket)
    result = stylize_dataset(
        f"s3://photos/in?{s3}", f"s3://photos/out?{s3}", "magenta26:7",
        strength=0.8, batch_size=4, verbose=0,
    )  # fmt: skip
    assert sorted(result.written) == sorted(names)
    assert list(result.failed) == ["broken.png"]
    pafs.copy_files("photos/out", str(tmp_path / "out"), bucket, pafs.LocalFileSystem())
    ref = zoo.load("magenta26").with_style(7)
    ref.stylize_folder(folder, tmp_path / "ref", strength=0.8, verbose=0)
    assert _files(tmp_path / "out") == sorted(names)
    for name in names:
        assert _max_difference(tmp_path / "out" / name, tmp_path / "ref" / name) <= 1
    again = stylize_dataset(
        f"s3://photos/in?{s3}", f"s3://photos/out?{s3}", "magenta26:7",
        strength=0.8, verbose=0,
    )  # fmt: skip
    assert again.written == [] and sorted(again.skipped) == sorted(names)


def test_ray_dataset_source_with_a_painting(tmp_path, shared_data):
    folder = tmp_path / "in"
    names = _photos(folder, 4, seed=3)
    png_names = [n for n in names if n.endswith(".png")]
    painting = shared_data / "styles" / sorted(os.listdir(shared_data / "styles"))[0]
    ds = ray.data.read_images(
        [str(folder / n) for n in png_names], include_paths=True, mode="RGB"
    )
    out = tmp_path / "out"
    result = stylize_dataset(
        ds, out, style_image=painting, style_size=64, verbose=0, num_actors=1
    )
    assert sorted(result.written) == sorted(png_names)
    stylizer = zoo.load("arbitrary").with_style(painting, style_size=64)
    for name in png_names:
        source = Image.open(folder / name).convert("RGB")
        expected = np.asarray(stylizer.stylize(source), int)
        got = np.asarray(Image.open(out / name), int)
        assert np.abs(got - expected).max() <= 1, name


def test_bad_choices_fail_before_any_worker_starts(tmp_path):
    folder = tmp_path / "in"
    _photos(folder, 1)
    with pytest.raises(
        ValueError, match="multi-style network.*Received: style='wave:3'"
    ):
        stylize_dataset(folder, tmp_path / "out", "wave:3", verbose=0)
    with pytest.raises(ValueError, match="needs a style choice"):
        stylize_dataset(folder, tmp_path / "out", "magenta26", verbose=0)
    with pytest.raises(ValueError, match="arbitrary-style network"):
        stylize_dataset(
            folder,
            tmp_path / "out",
            "wave",
            style_image=np.zeros((32, 32, 3)),
            verbose=0,
        )
    with pytest.raises(ValueError, match="must differ from `source`"):
        stylize_dataset(folder, folder, "wave", verbose=0)
    with pytest.raises(FileNotFoundError, match="Received: source="):
        stylize_dataset(tmp_path / "nowhere", tmp_path / "out", "wave", verbose=0)
    with pytest.raises(ValueError, match="Received: num_actors=0"):
        stylize_dataset(folder, tmp_path / "out", "wave", num_actors=0)
    assert not (tmp_path / "out").exists()


def test_cli_ray_summary_and_exit_code(media, tmp_path, capsys):
    folder, names = media
    out = tmp_path / "out"
    args = [
        "stylize",
        str(folder),
        "-o",
        str(out),
        "--style",
        "wave",
        "--ray",
        "--ray-actors",
        "1",
        "--consistency",
        "none",
    ]
    assert main(args) == 1  # two broken files
    printed = capsys.readouterr()
    assert f"{len(names) + 1} written, 0 skipped" in printed.out
    assert "2 failed" in printed.out
    assert _files(out) == sorted([*names, "clip.mp4"])
    assert main([*args, "--quiet"]) == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    assert "failed broken.jpg: " in printed.err


def test_missing_ray_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    code = main(["stylize", str(tmp_path), "-o", str(tmp_path / "o"), "--ray"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.strip().endswith('pip install "keras-style[ray]"')
    assert len(err.strip().splitlines()) == 1
