"""What the package's structure promises: inference never loads training code,
importing a module changes nothing in the process, flags are explicit."""

import os
import subprocess
import sys

import pytest

from keras_style import backend_config

# Modules that only training or Gatys optimization need.
TRAINING_MODULES = (
    "keras_style.training",
    "keras_style.arbitrary_training",
    "keras_style.features",
    "keras_style.losses",
    "keras_style.optimize",
    "keras_style.callbacks",
    "keras_style.data",
    "keras_style.training_run",
    "keras_style.backup_and_restore",
)


def _python(code):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def _training_modules_loaded_by_inference(extra_import=""):
    return _python(
        "import sys, numpy as np\n"
        "import keras_style\n"
        "stylizer = keras_style.zoo.load('wave')\n"
        f"{extra_import}\n"
        "assert stylizer.stylize(np.zeros((16, 16, 3), 'uint8')).size == (16, 16)\n"
        "net = keras_style.TransformNet.from_preset('rain_princess')\n"
        "photo = np.zeros((16, 16, 3), 'uint8')\n"
        "keras_style.zoo.load('arbitrary').stylize(photo, style_image=photo)\n"
        "keras_style.zoo.load('magenta26').stylize(photo, style=7)\n"
        f"print([m for m in {TRAINING_MODULES!r} if m in sys.modules])\n"
    )


def test_zoo_inference_loads_no_training_code():
    assert _training_modules_loaded_by_inference() == "[]"


def test_a_training_import_during_inference_is_seen():
    # The check above can fail: an inference path that pulled in the
    # training entry point would be reported.
    loaded = _training_modules_loaded_by_inference("import keras_style.training_run")
    assert "keras_style.training_run" in loaded
    assert "keras_style.backup_and_restore" in loaded


def test_importing_any_module_changes_no_environment_variable():
    changed = _python(
        "import importlib, os, pkgutil\n"
        "import keras  # third-party effects (e.g. OpenCV's) happen here\n"
        "import keras_style\n"
        "before = dict(os.environ)\n"
        "for info in pkgutil.walk_packages(keras_style.__path__, 'keras_style.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(k for k in set(before) | set(os.environ)\n"
        "             if before.get(k) != os.environ.get(k)))\n"
    )
    assert changed == "[]"


@pytest.fixture
def clean_flags(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    monkeypatch.delenv("KERAS_STYLE_XLA_CPU_CONV", raising=False)
    return monkeypatch


def _jaxlib_version(monkeypatch, version):
    import importlib.metadata

    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: version if name == "jaxlib" else real(name),
    )


def test_jax_cpu_flag_is_set_only_where_it_was_measured(clean_flags):
    _jaxlib_version(clean_flags, "0.10.2")
    assert backend_config.use_eigen_convolutions_on_jax_cpu()
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_experimental_ynn_fusion_type=dot"
    assert not backend_config.use_eigen_convolutions_on_jax_cpu()  # once only

    clean_flags.delenv("XLA_FLAGS")
    _jaxlib_version(clean_flags, "0.11.0")  # an unknown flag would abort XLA
    assert not backend_config.use_eigen_convolutions_on_jax_cpu()
    assert "XLA_FLAGS" not in os.environ


def test_jax_cpu_flag_yields_to_the_user(clean_flags):
    _jaxlib_version(clean_flags, "0.10.2")
    clean_flags.setenv("KERAS_STYLE_XLA_CPU_CONV", "default")
    assert not backend_config.use_eigen_convolutions_on_jax_cpu()
    clean_flags.delenv("KERAS_STYLE_XLA_CPU_CONV")
    clean_flags.setenv("XLA_FLAGS", "--xla_cpu_experimental_ynn_fusion_type=all")
    assert not backend_config.use_eigen_convolutions_on_jax_cpu()
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_experimental_ynn_fusion_type=all"


def test_cpu_fast_paths_stay_off_other_devices():
    # Winograd was measured faster on CPUs only: a GPU keeps the native
    # convolution until it is measured there.
    from keras_style.optimize import vgg_forward

    kernel = type("K", (), {"shape": (3, 3, 512, 512)})()
    for backend in ("tensorflow", "jax"):
        cpu = vgg_forward._winograd_min_channels(backend, on_cpu=True)
        assert vgg_forward._use_winograd(kernel, cpu)
        assert not vgg_forward._use_winograd(
            kernel, vgg_forward._winograd_min_channels(backend, on_cpu=False)
        )
