"""The web app's engine (`keras_style.app.StyleEngine`), without a browser:
styles offered offline, photos equal to the API's, paintings, Gatys progress
and cancel, video with sound, webcam frames steadied by flow. The page
itself is driven in Chromium by tests/test_app_browser.py."""

import threading

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio", reason='the app extra: pip install "keras-style[app]"')

from keras_style import zoo  # noqa: E402
from keras_style.app import StyleEngine, build_app  # noqa: E402
from keras_style.image import load_image  # noqa: E402


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return StyleEngine(runtime="keras", cache_dir=str(cache), vgg_weights=None)


@pytest.fixture(scope="module")
def photo(shared_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "stata.png"
    Image.fromarray(
        load_image(shared_data / "content" / "stata.jpg", max_size=96).astype("uint8")
    ).save(path)
    return path


def test_styles_are_the_ones_that_load_offline(engine):
    styles = engine.styles()
    assert styles[:2] == ["wave", "rain_princess"]  # the headline first
    assert [f"magenta26:{i}" for i in range(26)] == [
        s for s in styles if s.startswith("magenta26:")
    ]
    # Not in the package and not downloaded into this cache: left out.
    assert "la_muse" not in styles and "arbitrary" not in styles


def test_photo_equals_the_api_result(engine, photo):
    out = engine.stylize_photo(photo, "wave", output_size=1024)
    expected = zoo.load("wave").stylize(photo)
    assert out.size == expected.size == Image.open(photo).size
    diff = np.abs(np.asarray(out, int) - np.asarray(expected, int))
    assert diff.max() <= 1
    original = engine.stylize_photo(photo, "wave", strength=0.0)
    assert np.array_equal(np.asarray(original), np.asarray(Image.open(photo)))


@pytest.mark.slow
def test_a_painting_uses_the_arbitrary_network(engine, photo, shared_data):
    painting = shared_data / "styles" / "la_muse.jpg"
    out = engine.stylize_photo(photo, "wave", painting=str(painting))
    expected = zoo.load("arbitrary").stylize(photo, style_image=str(painting))
    diff = np.abs(np.asarray(out, int) - np.asarray(expected, int))
    assert diff.max() <= 1
    wave = np.asarray(engine.stylize_photo(photo, "wave"), int)
    assert np.abs(np.asarray(out, int) - wave).mean() > 10  # not the wave


def test_multi_style_picks_by_index(engine, photo):
    a = np.asarray(engine.stylize_photo(photo, "magenta26:3"), int)
    b = np.asarray(engine.stylize_photo(photo, "magenta26:12"), int)
    assert np.abs(a - b).mean() > 5
    with pytest.raises(ValueError, match="several styles.*magenta26:0"):
        engine.stylize_photo(photo, "magenta26")


def test_bad_input_is_a_readable_error(engine, photo, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"this is not a JPEG")
    with pytest.raises((ValueError, OSError), match="broken.jpg"):
        engine.stylize_photo(str(broken), "wave")
    with pytest.raises(ValueError, match="Upload a photo"):
        engine.stylize_photo(None, "wave")
    with pytest.raises(ValueError, match="Choose a style"):
        engine.stylize_photo(photo, None)
    # The engine still serves the next request.
    assert engine.stylize_photo(photo, "wave").size == Image.open(photo).size


def test_previews_show_the_photo_in_every_style(engine, photo):
    previews = engine.previews(photo, size=32)
    assert [name for _, name in previews] == engine.styles()
    assert all(max(image.size) == 32 for image, _ in previews)


@pytest.mark.slow
def test_gatys_hands_out_images_and_stops_when_asked(engine, photo, shared_data):
    painting = shared_data / "styles" / "la_muse.jpg"
    steps = list(engine.gatys(photo, painting, iterations=6, size=64, every=2))
    assert [i for _, i in steps] == [2, 4, 6]
    assert all(image.dtype == np.uint8 and image.shape[2] == 3 for image, _ in steps)
    assert not np.array_equal(steps[0][0], steps[-1][0])  # it moved

    stop = threading.Event()
    seen = []
    for _, iteration in engine.gatys(photo, painting, 500, 64, every=1, stop=stop):
        seen.append(iteration)
        stop.set()  # the user pressed Cancel
    assert seen[-1] < 10

    with pytest.raises(ValueError, match="photo and a painting"):
        list(engine.gatys(photo, None))


def test_webcam_frames_are_steadied_and_counted(engine):
    from test_video import moving_frames

    session = engine.webcam()
    frames = moving_frames(6, height=64, width=96)
    outputs = [session(frame, "wave") for frame in frames]
    styled, fps = outputs[-1]
    assert styled.shape == (64, 96, 3) and styled.dtype == np.uint8
    assert fps > 0
    raw = np.asarray(engine.stylizer("wave").stylize(frames[-1]), int)
    # Flow blends in the previous output: not the raw per-frame stylization.
    assert 0 < np.abs(styled.astype(int) - raw).mean() < 40
    # A new style starts afresh: the first frame is the network's own.
    first, _ = session(frames[0], "rain_princess")
    expected = np.asarray(engine.stylizer("rain_princess").stylize(frames[0]), int)
    assert np.abs(first.astype(int) - expected).max() <= 1
    with pytest.raises(ValueError, match="webcam frame"):
        session(np.zeros((8, 8)), "wave")


def test_video_keeps_its_sound_and_reports_progress(engine, tmp_path):
    from test_video import audio_packets, moving_frames, read_video, write_clip

    clip = write_clip(tmp_path / "clip.mp4", moving_frames(12), audio_seconds=1.2)
    calls = []
    out = engine.stylize_video(
        str(clip), "wave", tmp_path / "out.mp4", progress=lambda *a: calls.append(a)
    )
    frames, _, _ = read_video(out)
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3)
    assert audio_packets(out) == audio_packets(clip)  # the sound, untouched
    assert calls[-1] == (12, 12)


def test_the_page_has_four_tabs_and_the_stylize_endpoint(engine):
    page = build_app(engine)
    config = page.get_config_file()
    tabs = [
        c["props"].get("label") for c in config["components"] if c["type"] == "tabitem"
    ]
    assert tabs == ["Photo", "Gatys", "Video", "Webcam"]
    api = [d.get("api_name") for d in config["dependencies"]]
    assert "stylize" in api and "gatys" in api and "stylize_video" in api


def test_a_missing_extra_is_one_line_naming_it(monkeypatch, capsys):
    from keras_style.cli import main

    monkeypatch.setitem(__import__("sys").modules, "gradio", None)
    assert main(["app"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert 'pip install "keras-style[app]"' in err


@pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow",
    reason="one CI leg is enough: the command starts its own process",
)
@pytest.mark.slow
def test_the_command_serves_on_loopback_only_and_stops_on_ctrl_c(tmp_path):
    import os
    import pathlib
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, KERAS_STYLE_CACHE=str(tmp_path), TF_CPP_MIN_LOG_LEVEL="3")
    # Python's fault handler prints every thread's stack on SIGABRT: if the
    # command ever fails to stop, the failure says where it waits.
    log = tmp_path / "stderr.txt"

    def as_from_a_terminal():
        # A child inherits an ignored or blocked SIGINT, and Python then never
        # raises KeyboardInterrupt: the command hung this way twice in full
        # TensorFlow runs (the worker's state at that moment), as it does when
        # started so on purpose. A terminal starts it with the default.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])

    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", "-m", "keras_style.cli", "app"]
            + ["--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
            preexec_fn=as_from_a_terminal,
        )
    try:
        line = process.stdout.readline()
        assert f"serving on http://127.0.0.1:{port}" in line, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 200
            assert "keras-style" in response.read().decode()
        # Bound to loopback: another interface of this machine is refused.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                # UDP: picks the outgoing interface, sends nothing.
                probe.connect(("10.254.254.254", 1))
                address = probe.getsockname()[0]
            except OSError:  # no network at all: loopback is all there is
                address = "127.0.0.1"
        if not address.startswith("127."):
            with pytest.raises(OSError):
                socket.create_connection((address, port), timeout=2).close()
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Pending, blocked, ignored and caught signals of the command.
            status = [
                line.strip()
                for line in pathlib.Path(f"/proc/{process.pid}/status")
                .read_text()
                .splitlines()
                if line.startswith(("Sig", "ShdPnd", "Threads"))
            ]
            process.send_signal(signal.SIGABRT)
            process.wait(timeout=10)
            pytest.fail(
                f"still running 30 s after Ctrl+C ({status}):\n"
                + log.read_text()[-6000:]
            )
        assert code == 0, log.read_text()[-3000:]
    finally:
        process.kill()


def test_old_results_are_deleted_before_a_new_one(tmp_path):
    import os
    import time

    from keras_style.app.engine import temporary_output

    old, recent = tmp_path / "old.mp4", tmp_path / "recent.mp4"
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    an_hour_ago = time.time() - 3601
    os.utime(old, (an_hour_ago, an_hour_ago))
    fresh = temporary_output(tmp_path, ".mp4", max_age=3600)
    assert not old.exists() and recent.exists()
    assert fresh.parent == tmp_path and fresh.suffix == ".mp4" and not fresh.exists()


def test_bound_styles_are_kept_to_a_bound_and_networks_loaded_once(
    tmp_path, monkeypatch
):
    from keras_style.app import engine as engine_module

    monkeypatch.setattr(engine_module, "MAX_BOUND_STYLES", 2)
    engine = StyleEngine(runtime="keras", cache_dir=str(tmp_path))
    first = engine.stylizer("magenta26:1")
    assert engine.stylizer("magenta26:1") is first  # cached
    engine.stylizer("magenta26:2")
    engine.stylizer("magenta26:3")
    assert len(engine._bound) == 2 and ("magenta26:1", None) not in engine._bound
    # Every bound style shares the one loaded network.
    assert (
        engine.stylizer("magenta26:3").network is engine._presets["magenta26"].network
    )
