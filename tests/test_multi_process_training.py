"""Training across processes: two JAX processes with
`keras.distribution.DataParallel` equal one process on the global batch.

The same launch runs on a GPU cluster (README, "Scaling out"): one process per
host, `keras.distribution.initialize` with the coordinator's address, each
process feeding its own share of every global batch. Here both processes
share this machine's CPU, talking through JAX's CPU collectives (gloo).
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two training processes

STEPS = 2
LEARNING_RATE = 1e-4  # moves the weights far above float32 noise in 2 steps

SCRIPT = textwrap.dedent(
    f"""
    import json, sys
    import numpy as np
    role, port, vgg_path, out = sys.argv[1:5]
    import jax
    import keras

    if role != "single":
        # Before any JAX computation: join the 2-process job.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        keras.distribution.initialize(
            f"127.0.0.1:{{port}}", num_processes=2, process_id=int(role)
        )
        assert jax.process_count() == 2 and len(jax.devices()) == 2, jax.devices()
    from keras_style.models.transform_net import TransformNet

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (4, 16, 16, 3)).astype("float32")  # the global batch
    style = rng.uniform(0, 255, (16, 16, 3)).astype("float32")
    if role == "single":
        batch = x
    else:
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        share = len(x) // 2  # this process's share of every global batch
        batch = x[int(role) * share : (int(role) + 1) * share]
    model = TransformNet(filters=(8, 16, 32), residual_blocks=1)
    model.build()
    # Every run starts from the same initial weights (written by the test).
    saved = np.load(vgg_path + ".initial.npz")
    model.set_weights([saved[f"arr_{{i}}"] for i in range(len(saved.files))])
    model.compile(
        optimizer=keras.optimizers.SGD({LEARNING_RATE}),
        style_image=style,
        loss_network="vgg16",
        # Two shallow taps: the subject is the data-parallel step.
        style_layers=("relu1_2", "relu2_2"),
        content_layers=("relu2_2",),
        vgg_weights=vgg_path,
    )
    def values():
        if role == "single":
            return model.get_weights()
        from jax.experimental import multihost_utils

        # The global values of arrays spread over both processes.
        return [
            np.asarray(multihost_utils.process_allgather(v.value, tiled=True))
            for v in model.weights
        ]

    w0 = values()
    for _ in range({STEPS}):
        logs = model.train_on_batch(batch, return_dict=True)
    np.savez(out, *w0, *values())
    print(json.dumps({{k: float(v) for k, v in logs.items()}}))
    """
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(role, port, tmp_path):
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    # One CPU device per process, as one GPU per process on a cluster;
    # optimisation level 0 compiles these tiny steps fast.
    env["XLA_FLAGS"] = "--xla_backend_optimization_level=0"
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCRIPT,
            role,
            str(port),
            str(tmp_path / "vgg.weights.h5"),
            str(tmp_path / f"weights-{role}.npz"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _weights(path):
    arrays = np.load(path)
    values = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    half = len(values) // 2
    return values[:half], values[half:]


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="spawns its own JAX processes; runs once, in the JAX leg",
)
def test_two_processes_train_like_one_on_the_global_batch(tmp_path):
    from keras_style.models.transform_net import TransformNet

    vgg = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )
    vgg.save_weights(tmp_path / "vgg.weights.h5")
    model = TransformNet(filters=(8, 16, 32), residual_blocks=1)
    model.build()
    np.savez(tmp_path / "vgg.weights.h5.initial.npz", *model.get_weights())
    # The single-process run and the two-process job run side by side.
    port = _free_port()
    single = _launch("single", 0, tmp_path)
    workers = [_launch(str(i), port, tmp_path) for i in range(2)]
    single = _finish(single)
    logs = [_finish(p) for p in workers]
    w0, w_single = _weights(tmp_path / "weights-single.npz")
    moved = max(float(np.abs(a - b).max()) for a, b in zip(w_single, w0))
    assert moved > 1e-3  # the steps really trained
    for i in range(2):
        start, w_dist = _weights(tmp_path / f"weights-{i}.npz")
        for a, b in zip(start, w0):
            np.testing.assert_array_equal(a, b)  # same initial weights
        diff = max(float(np.abs(a - b).max()) for a, b in zip(w_single, w_dist))
        assert diff < 1e-3 * moved, (i, diff, moved)
        # The loss of the global batch, not of this process's share.
        assert logs[i]["loss"] == pytest.approx(single["loss"], rel=1e-4)
