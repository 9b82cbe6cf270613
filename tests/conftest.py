"""Shared pytest fixtures: test data location, temp Keras state, the local Hub."""

import os
import pathlib
import shutil

import keras
import numpy as np
import pytest

# The local Hugging Face Hub emulator and its fixtures live in tests/hub_server.py.
pytest_plugins = ("hub_server",)

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent

# Gradio (the app's tests) would otherwise report usage and check for updates.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
# Nor may the local Ray cluster of the Ray tests report usage statistics.
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
# `keras-style train` and `optimize` keep XLA's compiled steps in the user's
# cache and edit TF_XLA_FLAGS; tests run those commands in-process, so only the
# tests of that cache turn it on.
os.environ["KERAS_STYLE_COMPILATION_CACHE"] = "off"

# JAX compiles each new shape with full XLA optimisation, which dominates these
# tiny tests (about 1 s per shape on 2 cores); level 0 compiles ~20x faster.
# XLA reads the flags when JAX starts its CPU client, at the first computation.
if keras.backend.backend() == "jax" and "xla_backend_optimization_level" not in (
    os.environ.get("XLA_FLAGS", "")
):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0"
    ).strip()
if keras.backend.backend() == "jax":
    # What the CLI and the benchmarks do too (keras_style/utils/backend_config.py).
    from keras_style.utils.backend_config import use_eigen_convolutions_on_jax_cpu

    use_eigen_convolutions_on_jax_cpu()

# The JAX leg compiles the same small programs many times: in each xdist
# worker and in the command-line subprocesses the tests start. One XLA cache
# per test run shares them (the mechanism `keras-style train` uses for its
# steps). The first process to load this file (xdist's controller) makes the
# folder, the workers and subprocesses inherit it through the environment, and
# the same process removes it at the end. A cache the user set is left alone.
_SUITE_XLA_CACHE = None
if keras.backend.backend() == "jax" and not os.environ.get("JAX_COMPILATION_CACHE_DIR"):
    import tempfile

    import jax

    _SUITE_XLA_CACHE = tempfile.mkdtemp(prefix="keras_style_tests_xla_")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _SUITE_XLA_CACHE
    # Most of these compile in well under JAX's default threshold of 1 s.
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    jax.config.update("jax_compilation_cache_dir", _SUITE_XLA_CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def pytest_sessionfinish(session):
    if _SUITE_XLA_CACHE is not None:
        shutil.rmtree(_SUITE_XLA_CACHE, ignore_errors=True)


def _shared_data_dir():
    env = os.environ.get("KERAS_STYLE_TEST_DATA")
    if env:
        return pathlib.Path(env)
    return PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """`../shared/data` (or `$KERAS_STYLE_TEST_DATA`); skips when absent."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared test data not found at {path}; set KERAS_STYLE_TEST_DATA")
    return path


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    keras.utils.set_random_seed(0)
    yield
    keras.config.set_dtype_policy("float32")
    # free_memory=False: a full gc per test costs ~0.35 s and frees nothing we need.
    keras.backend.clear_session(free_memory=False)


@pytest.fixture(autouse=True)
def _keras_runtime_by_default(request, monkeypatch):
    """The command line's default runtime is "auto" (ONNX Runtime with the
    export extra, which exports each network on first use). Tests of other
    behaviour run Keras, as before; those of the default are marked
    `default_runtime`."""
    if request.node.get_closest_marker("default_runtime") is None:
        monkeypatch.setenv("KERAS_STYLE_RUNTIME", "keras")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def vgg19_imagenet_weights(shared_data, tmp_path_factory):
    """A Keras weights file of the real ImageNet VGG19 (built once per session
    from `weights/vgg19-imagenet-uint8/`); skips when the data is absent."""
    folder = shared_data / "weights" / "vgg19-imagenet-uint8"
    script = folder / "build_keras_weights.py"
    if not (script.is_file() and (folder / "vgg19_notop_uint8.npz").is_file()):
        pytest.skip(f"real VGG19 weights not found in {folder}")
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_vgg19_weights", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("vgg19") / "vgg19_imagenet.weights.h5"
    module.main(str(out))
    return out
