"""Video: media round trips (timing, sound, rotation, GIF), streaming memory,
atomic output, clear errors, and flicker removal measured on clips with known
motion."""

import fractions
import sys
import tracemalloc

import numpy as np
import pytest
from PIL import Image
from test_convert import tiny_net

av = pytest.importorskip("av", reason="needs the video extra (PyAV)")
cv2 = pytest.importorskip("cv2", reason="needs the video extra (OpenCV)")

from keras_style import video  # noqa: E402
from keras_style.inference.stylizer import Stylizer  # noqa: E402

RATE = 10
TIME_BASE = fractions.Fraction(1, 10240)


def moving_frames(count, height=48, width=64, seed=0):
    """Smooth frames with a bright bar moving right (easy to compress)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=(height // 8 + 1, width // 8 + 1, 3))
    base = np.kron(base, np.ones((8, 8, 1)))[:height, :width].astype(np.uint8)
    frames = []
    for t in range(count):
        frame = base.copy()
        x = (4 * t) % width
        frame[:, x : x + 4] = 255
        frames.append(frame)
    return frames


def write_clip(
    path,
    frames,
    pts=None,
    *,
    rate=RATE,
    time_base=TIME_BASE,
    audio_seconds=None,
    rotation=None,
    pix_fmt="yuv420p",
):
    """Writes an H.264 clip (optionally with AAC sound and a display rotation)."""
    height, width = frames[0].shape[:2]
    if pts is None:
        step = int(1 / (rate * time_base))
        pts = [i * step for i in range(len(frames))]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.time_base = time_base
        stream.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = None
        if audio_seconds:
            sound = out.add_stream("aac", rate=16000)
            sound.layout = "mono"
        for frame, p in zip(frames, pts):
            f = av.VideoFrame.from_ndarray(frame, format="rgb24")
            f.pts, f.time_base = p, time_base
            out.mux(stream.encode(f))
        out.mux(stream.encode(None))
        if sound is not None:
            samples = np.arange(int(16000 * audio_seconds), dtype=np.float32)
            tone = (0.2 * np.sin(samples * 2 * np.pi * 440 / 16000)).astype("f4")
            for k in range(0, len(tone), 1024):
                f = av.AudioFrame.from_ndarray(
                    tone[None, k : k + 1024], format="flt", layout="mono"
                )
                f.sample_rate, f.pts = 16000, k
                out.mux(sound.encode(f))
            out.mux(sound.encode(None))
    return path


def read_video(path):
    """`(frames, pts, time_base)` of the first video stream."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        frames, pts = [], []
        for f in c.decode(stream):
            frames.append(f.to_ndarray(format="rgb24"))
            pts.append(f.pts)
        return frames, pts, stream.time_base


def audio_packets(path):
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return []
        stream = c.streams.audio[0]
        return [
            (float(p.pts * p.time_base), bytes(p))
            for p in c.demux(stream)
            if p.dts is not None
        ]


@pytest.fixture(scope="module")
def tiny():
    return Stylizer(tiny_net(3), name="tiny")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """2 s, 10 fps, 64x48 with 2 s of AAC sound."""
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    return write_clip(path, moving_frames(20), audio_seconds=2.0)


# --- media round trips -------------------------------------------------------


def test_round_trip_keeps_frames_timing_size_and_sound(tiny, clip, tmp_path):
    out = video.stylize_video(tiny, clip, tmp_path / "out.mp4")
    assert out == tmp_path / "out.mp4"
    frames_in, pts_in, tb_in = read_video(clip)
    frames_out, pts_out, tb_out = read_video(out)
    assert len(frames_out) == len(frames_in) == 20
    assert frames_out[0].shape == frames_in[0].shape
    assert [p * tb_out for p in pts_out] == [p * tb_in for p in pts_in]
    info_in, info_out = video.probe(clip), video.probe(out)
    assert info_out.duration == pytest.approx(info_in.duration, abs=0.01)
    # Sound copied packet for packet: same bytes, same times (not re-encoded).
    assert audio_packets(out) == audio_packets(clip)
    assert len(audio_packets(clip)) > 10


def test_variable_frame_rate_survives(tiny, tmp_path):
    step = 1024
    pts = [0, 1, 2, 5, 6, 10, 11, 12, 20, 21]
    src = write_clip(tmp_path / "vfr.mp4", moving_frames(10), [p * step for p in pts])
    out = video.stylize_video(tiny, src, tmp_path / "vfr_out.mkv")
    _, pts_in, tb_in = read_video(src)
    _, pts_out, tb_out = read_video(out)
    assert [float(p * tb_out) for p in pts_out] == pytest.approx(
        [float(p * tb_in) for p in pts_in], abs=1e-3
    )


def test_strength_zero_reproduces_the_input(tmp_path, clip):
    stylizer = Stylizer(tiny_net(0))
    out = video.stylize_video(stylizer, clip, tmp_path / "same.mp4", strength=0.0)
    frames_in, _, _ = read_video(clip)
    frames_out, _, _ = read_video(out)
    diff = [np.abs(a.astype(float) - b).mean() for a, b in zip(frames_in, frames_out)]
    assert max(diff) < 3.0  # only the second H.264 generation's loss


@pytest.mark.parametrize("rotation", [90, -90])
def test_rotation_is_applied_to_the_pixels(tmp_path, rotation):
    frames = moving_frames(6, height=48, width=64)
    src = write_clip(tmp_path / "phone.mp4", frames, rotation=rotation)
    assert video.probe(src).rotation == rotation
    assert (video.probe(src).width, video.probe(src).height) == (48, 64)
    out = video.stylize_video(
        Stylizer(tiny_net(0)), src, tmp_path / "upright.mp4", strength=0.0
    )
    frames_out, _, _ = read_video(out)
    assert frames_out[0].shape == (64, 48, 3)
    # Counter-clockwise by `rotation`, as the display matrix says.
    turns = rotation // 90
    right = np.abs(frames_out[0] - np.rot90(frames[0], turns).astype(float)).mean()
    wrong = np.abs(frames_out[0] - np.rot90(frames[0], -turns).astype(float)).mean()
    assert right < 8.0 and right < wrong / 3, (right, wrong)
    assert video.probe(out).rotation == 0


def test_gif_in_and_out_and_webp_out(tiny, tmp_path):
    frames = moving_frames(8)
    gif = tmp_path / "anim.gif"
    Image.fromarray(frames[0]).save(
        gif,
        save_all=True,
        append_images=[Image.fromarray(f) for f in frames[1:]],
        duration=[100, 100, 200, 100, 300, 100, 100, 100],
        loop=0,
    )
    assert video.is_video(gif)
    out_mp4 = video.stylize_video(tiny, gif, tmp_path / "from_gif.mp4")
    _, pts_gif, tb_gif = read_video(gif)
    _, pts_mp4, tb_mp4 = read_video(out_mp4)
    assert [p * tb_mp4 for p in pts_mp4] == [p * tb_gif for p in pts_gif]
    out_gif = video.stylize_video(tiny, gif, tmp_path / "out.gif")
    with Image.open(out_gif) as img:
        assert img.n_frames == 8 and img.size == (64, 48)
    out_webp = video.stylize_video(tiny, gif, tmp_path / "out.webp")
    with Image.open(out_webp) as img:
        assert img.n_frames == 8 and img.size == (64, 48)
    out_gif2 = video.stylize_video(tiny, out_mp4, tmp_path / "from_mp4.gif")
    _, pts2, tb2 = read_video(out_gif2)
    assert [p * tb2 for p in pts2] == [p * tb_gif for p in pts_gif]


def test_max_size_start_and_end(tiny, tmp_path):
    src = write_clip(
        tmp_path / "long.mp4", moving_frames(30, 96, 160), audio_seconds=3.0
    )
    out = video.stylize_video(
        tiny, src, tmp_path / "cut.mp4", max_size=80, start=1.0, end=2.0
    )
    frames, pts, tb = read_video(out)
    assert len(frames) == 10
    assert frames[0].shape == (48, 80, 3)
    assert pts[0] == 0
    assert float(pts[-1] * tb) == pytest.approx(0.9)
    times = [t for t, _ in audio_packets(out)]
    assert times and min(times) >= 0.0 and max(times) < 1.0
    # The kept audio is the input's, packet for packet.
    src_packets = dict((round(t - 1.0, 6), b) for t, b in audio_packets(src))
    assert all(src_packets.get(round(t, 6)) == b for t, b in audio_packets(out))


def test_odd_sizes_are_kept_exactly(tiny, tmp_path):
    frames = [f[:47, :63] for f in moving_frames(5)]
    src = write_clip(tmp_path / "odd.mkv", frames, pix_fmt="yuv444p")
    out = video.stylize_video(tiny, src, tmp_path / "odd_out.mp4")
    assert read_video(out)[0][0].shape == (47, 63, 3)
    # Downscaled sides are even (as H.264 players expect) and within max_size.
    out = video.stylize_video(tiny, src, tmp_path / "small.mp4", max_size=35)
    assert read_video(out)[0][0].shape == (26, 34, 3)


def test_is_video_probes_content_not_names(tmp_path, clip):
    assert video.is_video(clip)
    disguised = tmp_path / "clip.jpg"
    disguised.write_bytes(clip.read_bytes())
    assert video.is_video(disguised)
    photo = tmp_path / "photo.png"
    Image.fromarray(moving_frames(1)[0]).save(photo)
    assert not video.is_video(photo)
    still = tmp_path / "still.gif"
    Image.fromarray(moving_frames(1)[0]).save(still)
    assert not video.is_video(still)
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video" * 100)
    assert not video.is_video(garbage)
    assert not video.is_video(tmp_path / "missing.mp4")


# --- reliability --------------------------------------------------------------


def test_interrupted_run_leaves_no_file(tiny, clip, tmp_path, monkeypatch):
    target = tmp_path / "out.mp4"
    calls = []
    original = Stylizer.stylize

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Stylizer, "stylize", failing)
    with pytest.raises(KeyboardInterrupt):
        video.stylize_video(tiny, clip, target, batch_size=2)
    assert list(tmp_path.iterdir()) == []
    # An existing output is left as it was.
    target.write_bytes(b"old")
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        video.stylize_video(tiny, clip, target, batch_size=2)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_clear_errors(tiny, clip, tmp_path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video" * 100)
    with pytest.raises(ValueError, match="Received: input=.*garbage.mp4"):
        video.stylize_video(tiny, garbage, tmp_path / "o.mp4")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(ValueError, match="Received: input=.*truncated.mp4"):
        video.stylize_video(tiny, truncated, tmp_path / "o.mp4")
    with pytest.raises(FileNotFoundError, match="Received: input="):
        video.stylize_video(tiny, tmp_path / "missing.mp4", tmp_path / "o.mp4")
    with pytest.raises(ValueError, match="Received: output="):
        video.stylize_video(tiny, clip, tmp_path / "o.notavideoformat")
    with pytest.raises(ValueError, match="Received: consistency='smooth'"):
        video.stylize_video(tiny, clip, tmp_path / "o.mp4", consistency="smooth")
    with pytest.raises(ValueError, match="Received: start=2.0, end=1.0"):
        video.stylize_video(tiny, clip, tmp_path / "o.mp4", start=2.0, end=1.0)
    with pytest.raises(ValueError, match="no frames after start"):
        video.stylize_video(tiny, clip, tmp_path / "o.mp4", start=50.0)
    # Audio that the container cannot hold: said up front, nothing written.
    with pytest.raises(ValueError, match="aac audio cannot be copied"):
        video.stylize_video(tiny, clip, tmp_path / "o.webm")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "garbage.mp4",
        "truncated.mp4",
    ]


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ImportError, match=r"keras-style\[video\]"):
        video.require_av()


def _mixed_folder(root, clip):
    """A photo, a video under a misleading name, an animated GIF, a text file."""
    (root / "sub").mkdir(parents=True)
    Image.fromarray(moving_frames(1)[0]).save(root / "photo.png")
    (root / "sub" / "holiday.dat").write_bytes(clip.read_bytes())
    gif = [Image.fromarray(f) for f in moving_frames(4)]
    gif[0].save(root / "anim.gif", save_all=True, append_images=gif[1:], duration=100)
    (root / "notes.txt").write_text("not media")
    return root


def test_folder_input_holds_photos_and_videos(tiny, clip, tmp_path):
    src = _mixed_folder(tmp_path / "in", clip)
    (src / "broken.mp4").write_bytes(b"not a video")
    result = tiny.stylize_folder(
        src, tmp_path / "out", verbose=0, video_options=dict(consistency="none")
    )
    assert list(result.skipped) == [src / "broken.mp4"]
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in result.written)
    # A video under a name FFmpeg cannot write gets an MP4 name added.
    assert names == ["anim.gif", "photo.png", "sub/holiday.dat.mp4"]
    frames, _, _ = read_video(tmp_path / "out" / "sub" / "holiday.dat.mp4")
    assert len(frames) == 20 and frames[0].shape == (48, 64, 3)
    assert audio_packets(tmp_path / "out" / "sub" / "holiday.dat.mp4")
    assert Image.open(tmp_path / "out" / "anim.gif").n_frames == 4
    assert np.asarray(Image.open(tmp_path / "out" / "photo.png")).shape == (48, 64, 3)


def test_folder_videos_without_the_extra_are_reported(
    tiny, clip, tmp_path, monkeypatch
):
    src = _mixed_folder(tmp_path / "in", clip)
    (src / "clip.mp4").write_bytes(clip.read_bytes())
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.warns(UserWarning, match="only the first is used"):
        result = tiny.stylize_folder(src, tmp_path / "out", verbose=0)
    # Images (the GIF as a still) are written; the named video is reported.
    assert sorted(p.name for p in result.written) == ["anim.gif", "photo.png"]
    assert list(result.skipped) == [src / "clip.mp4"]
    assert "keras-style[video]" in result.skipped[src / "clip.mp4"]


def test_cli_folder_with_a_video(tmp_path, clip, capsys):
    from keras_style.cli import main

    preset = tmp_path / "tiny_preset"
    tiny_net(3).save_to_preset(preset)
    src = _mixed_folder(tmp_path / "in", clip)
    code = main(
        ["stylize", str(src), "--style", str(preset), "-o", str(tmp_path / "out")]
        + ["--consistency", "none", "--end", "1.0", "-q"]
    )
    assert code == 0, capsys.readouterr().err
    frames, _, _ = read_video(tmp_path / "out" / "sub" / "holiday.dat.mp4")
    assert len(frames) == 10  # --end applies to the folder's videos


def test_memory_does_not_grow_with_length(tiny, tmp_path):
    short = write_clip(tmp_path / "short.mp4", moving_frames(20, 96, 160))
    long = write_clip(tmp_path / "long.mp4", moving_frames(100, 96, 160))
    video.stylize_video(tiny, short, tmp_path / "warm.mp4")  # compile first

    def peak(path):
        tracemalloc.start()
        try:
            video.stylize_video(tiny, path, tmp_path / "o.mp4")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    short_peak, long_peak = peak(short), peak(long)
    # 80 more frames of 160x96 would add >= 3.6 MB as uint8, 14 MB as float32.
    assert long_peak < 1.2 * short_peak + 1_000_000, (short_peak, long_peak)


# --- temporal consistency -----------------------------------------------------


def _photo():
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.astronaut()


def pan(photo, count, height, width, step):
    """A camera pan: frame t is frame t-1 moved `step` pixels left."""
    frames = [
        photo[100 : 100 + height, step * t : step * t + width] for t in range(count)
    ]
    flow = np.zeros((height, width, 2), np.float32)
    flow[..., 0] = step
    return frames, [flow] * (count - 1)


def zoom(photo, count, height, width, rate):
    """A zoom into the centre by `rate` per frame, with its exact flow."""
    ph, pw = photo.shape[:2]
    base = max(height / ph, width / pw) * 1.1
    scales = [base * rate**t for t in range(count)]
    frames = []
    for s in scales:
        matrix = np.array(
            [[s, 0, width / 2 - s * pw / 2], [0, s, height / 2 - s * ph / 2]],
            np.float32,
        )
        frames.append(cv2.warpAffine(photo, matrix, (width, height)))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    flow = np.stack([xs - width / 2, ys - height / 2], -1) * (1 / rate - 1)
    return frames, [flow.astype(np.float32)] * (count - 1)


def mean_warping_error(frames, flows):
    return np.mean(
        [
            video.warping_error(frames[t - 1], frames[t], flows[t - 1])
            for t in range(1, len(frames))
        ]
    )


@pytest.fixture(scope="module")
def wave():
    from keras_style import zoo

    return zoo.load("wave")


@pytest.mark.parametrize("motion", ["pan", "zoom"])
def test_flow_halves_the_warping_error_and_stays_faithful(wave, motion):
    photo = _photo()
    if motion == "pan":
        frames, flows = pan(photo, 8, 96, 160, 3)
    else:
        frames, flows = zoom(photo, 8, 96, 160, 1.03)
    none = list(video.stylize_frames(wave, frames, consistency="none"))
    flow = list(video.stylize_frames(wave, frames, consistency="flow"))
    error_none = mean_warping_error(none, flows)
    error_flow = mean_warping_error(flow, flows)
    faithfulness = np.mean(
        [np.abs(a.astype(float) - b).mean() for a, b in zip(flow, none)]
    )
    assert error_flow < 0.5 * error_none, (error_flow, error_none)
    assert faithfulness < 10.0, faithfulness
    # The first frame has no history: identical to per-frame stylization.
    np.testing.assert_array_equal(flow[0], none[0])


def test_scene_cut_starts_afresh(wave):
    photo = _photo()
    frames, _ = pan(photo, 3, 96, 160, 3)
    other = np.ascontiguousarray(photo[::-1, ::-1][:96, :160])
    frames = frames + [other]
    stabilizer = video.FlowStabilizer()
    styled = [np.asarray(wave.stylize(f), np.float32) for f in frames]
    outputs = [stabilizer(f, s) for f, s in zip(frames, styled)]
    assert stabilizer.cuts == 1
    np.testing.assert_array_equal(outputs[-1], styled[-1])


def test_estimated_flow_matches_the_true_pan():
    frames, flows = pan(_photo(), 2, 96, 160, 3)
    flow, mask = video.estimate_flow(frames[0], frames[1])
    assert mask.mean() > 0.8
    assert np.median(np.abs(flow - flows[0])[mask]) < 0.3
    # The metric is zero for a perfectly consistent sequence.
    assert video.warping_error(frames[0], frames[1], flows[0]) < 1.0


def test_stylizer_method_delegates(tiny, clip, tmp_path):
    out = tiny.stylize_video(clip, tmp_path / "m.mp4", consistency="none", end=1.0)
    frames, _, _ = read_video(out)
    assert len(frames) == 10


def test_colors_and_strength_apply_after_stabilisation(tiny):
    frames = moving_frames(3)
    full = list(video.stylize_frames(tiny, frames))
    half = list(video.stylize_frames(tiny, frames, strength=0.5))
    expected = 0.5 * full[2].astype(float) + 0.5 * frames[2]
    assert np.abs(half[2] - expected).max() <= 1.0
    kept = list(video.stylize_frames(tiny, frames, preserve_colors=True))
    assert kept[2].shape == frames[2].shape


def test_cli_stylizes_a_video_recognised_by_content(tmp_path, clip, capsys):
    from keras_style.cli import main

    preset = tmp_path / "tiny_preset"
    tiny_net(3).save_to_preset(preset)
    # A video under a misleading name is still found by probing.
    src = tmp_path / "clip.dat"
    src.write_bytes(clip.read_bytes())
    out = tmp_path / "styled.mp4"
    code = main(
        ["stylize", str(src), "--style", str(preset), "-o", str(out)]
        + ["--consistency", "none", "--start", "0.5", "--end", "1.5", "-q"]
    )
    assert code == 0, capsys.readouterr().err
    frames, _, _ = read_video(out)
    assert len(frames) == 10
    assert audio_packets(out)
    # Bad values are one clear line, not a traceback.
    code = main(
        ["stylize", str(src), "--style", str(preset), "-o", str(tmp_path / "x.xyz")]
    )
    assert code == 2
    assert "-o" in capsys.readouterr().err
