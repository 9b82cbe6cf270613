"""Data-parallel training on two simulated CPU devices equals one device.

JAX: `keras.distribution.DataParallel` with
`XLA_FLAGS=--xla_force_host_platform_device_count=2`. TensorFlow:
`tf.distribute.MirroredStrategy` over two logical CPUs. Each runs in a
subprocess (device counts are fixed when the backend starts) and only under
its own backend, so each backend's run pays for one.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import pytest

pytestmark = pytest.mark.slow  # training in subprocesses with several devices

# Large enough that one step moves the weights far above float32 noise (the
# check below is relative to the single-device update).
LEARNING_RATE = 1e-4

COMMON = (
    f"LEARNING_RATE = {LEARNING_RATE}\n"
    + """
import json, sys
import numpy as np
import keras
from keras_style.models.transform_net import TransformNet

rng = np.random.default_rng(0)
x = rng.uniform(0, 255, (4, 16, 16, 3)).astype("float32")
style = rng.uniform(0, 255, (16, 16, 3)).astype("float32")
keras.utils.set_random_seed(1)
vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
vgg_path = sys.argv[1]
vgg.save_weights(vgg_path)
initial = TransformNet(filters=(8, 16, 32), residual_blocks=1)
initial.build()
w0 = initial.get_weights()


def step():
    model = TransformNet(filters=(8, 16, 32), residual_blocks=1)
    model.build()
    model.set_weights(w0)
    model.compile(
        optimizer=keras.optimizers.SGD(LEARNING_RATE),
        style_image=style,
        loss_network="vgg16",
        # Two shallow taps: the subject is the distributed step.
        style_layers=("relu1_2", "relu2_2"),
        content_layers=("relu2_2",),
        vgg_weights=vgg_path,
        run_eagerly=EAGER,
    )
    logs = model.train_on_batch(x, return_dict=True)
    return model, {k: float(v) for k, v in logs.items()}, model.get_weights()


def update_difference(w_single, w_dist):
    # How far one step moved the weights, and how far the two updates differ.
    moved = max(float(np.abs(a - b).max()) for a, b in zip(w_single, w0))
    diff = max(float(np.abs(a - b).max()) for a, b in zip(w_single, w_dist))
    return {"max_update": moved, "max_update_diff": diff}
"""
)

JAX_SCRIPT = (
    "EAGER = False\n"
    + COMMON
    + """
import jax
assert len(jax.devices()) == 2, jax.devices()
_, single, w_single = step()
keras.distribution.set_distribution(keras.distribution.DataParallel())
model, dist, w_dist = step()
sharding = model.trainable_variables[0].value.sharding
print(json.dumps({
    "single": single, "dist": dist,
    "devices": len(sharding.device_set),
    **update_difference(w_single, w_dist),
}))
"""
)

TF_SCRIPT = (
    """
EAGER = True  # tracing costs more than these tiny steps
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
"""
    + COMMON
    + """
_, single, w_single = step()
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model, dist, w_dist = step()
print(json.dumps({
    "single": single, "dist": dist,
    "devices": strategy.num_replicas_in_sync,
    **update_difference(w_single, w_dist),
}))
"""
)


def _run(script, backend, tmp_path, extra_flags=""):
    env = dict(os.environ, KERAS_BACKEND=backend)
    # Compilation dominates these tiny runs; optimisation level 0 compiles fast.
    env["XLA_FLAGS"] = (
        f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2 "
        f"{extra_flags}"
    ).strip()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(script),
            str(tmp_path / "vgg.weights.h5"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check(result):
    assert result["devices"] == 2
    for key in ("loss", "content_loss", "style_loss"):
        assert result["dist"][key] == pytest.approx(result["single"][key], rel=1e-4)
    # The step really moved the weights, and both placements moved them alike.
    assert result["max_update"] > 1e-3, result
    assert result["max_update_diff"] < 1e-3 * result["max_update"], result


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="runs under the JAX backend"
)
def test_jax_data_parallel_step_equals_single_device(tmp_path):
    _check(_run(JAX_SCRIPT, "jax", tmp_path, "--xla_backend_optimization_level=0"))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="runs under the TensorFlow backend"
)
def test_tf_mirrored_strategy_step_equals_single_device(tmp_path):
    _check(_run(TF_SCRIPT, "tensorflow", tmp_path))
