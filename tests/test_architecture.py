"""What the package's structure promises: no import cycles, small modules, no
private Keras attributes, inference never loads training code, importing a
module changes nothing in the process, flags are explicit."""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

from keras_style.utils import backend_config

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "keras_style"

# Modules that only training or Gatys optimization need.
TRAINING_MODULES = (
    "keras_style.training",
    "keras_style.training.perceptual",
    "keras_style.training.arbitrary",
    "keras_style.losses",
    "keras_style.losses.vgg",
    "keras_style.optimize",
    "keras_style.training.callbacks",
    "keras_style.training.data",
    "keras_style.training.run",
    "keras_style.training.backup_and_restore",
)

# Modules allowed over MAX_MODULE_LINES: data, not logic.
DATA_TABLES = ("keras_style/presets/table.py",)
MAX_MODULE_LINES = 400


def _modules():
    """`{dotted name: path}` of every module of the package."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph(modules):
    """`{module: {modules it imports}}` within the package, counting imports
    inside functions too (`ast.walk` sees every import statement). `from a
    import b` is an import of `a.b` when that is a module, else of `a`."""

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(resolve(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else resolve(base))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def import_cycles(graph):
    """Every cycle's modules (strongly connected components of 2 or more)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles_counting_imports_inside_functions():
    graph = import_graph(_modules())
    assert len(graph) > 80  # the whole package was read
    assert import_cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_made_by_a_function_level_import():
    graph = import_graph(_modules())
    # e.g. a model method importing the stylizer, which imports the model
    graph["keras_style.models.transform_net"].add("keras_style.inference.stylizer")
    (cycle,) = import_cycles(graph)
    assert "keras_style.models.transform_net" in cycle
    assert "keras_style.inference.stylizer" in cycle


def test_lower_layers_do_not_reach_higher_ones():
    graph = import_graph(_modules())

    def reaches(start, prefix):
        seen, todo = set(), [start]
        while todo:
            for w in graph[todo.pop()] - seen:
                seen.add(w)
                todo.append(w)
        return sorted(m for m in seen if m.startswith(prefix))

    for module in graph:
        if module.startswith(("keras_style.layers", "keras_style.presets")):
            assert reaches(module, "keras_style.models") == [], module
        if module.startswith(("keras_style.models", "keras_style.export")):
            assert reaches(module, "keras_style.inference") == [], module
            assert reaches(module, "keras_style.zoo") == [], module
        if module.startswith(("keras_style.video", "keras_style.export")):
            assert reaches(module, "keras_style.models") == [], module
        if not module.startswith(("keras_style.app", "keras_style.cli")):
            # The web app sits on top: only the command line uses it.
            assert reaches(module, "keras_style.app") == [], module
        if not module.startswith(("keras_style.distributed", "keras_style.cli")):
            # So do the Ray runs: the library below never needs Ray.
            assert reaches(module, "keras_style.distributed") == [], module


def test_modules_stay_small():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert {k: v for k, v in long.items() if k not in DATA_TABLES} == {}


def test_no_private_keras_attributes():
    """Only Keras' `_initial_epoch` (the resume hook its own BackupAndRestore
    sets) is touched; other `x._name` look-ups on objects are our own."""
    import keras

    keras_private = set()
    for base in (
        keras.Model,
        keras.layers.Layer,
        keras.callbacks.Callback,
        keras.optimizers.Optimizer,
        keras.utils.PyDataset,
    ):
        keras_private |= {a for a in dir(base) if a.startswith("_")}
    ours = {"_style", "_families"}  # ConditionedStylizer, Stylizer
    used = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute) or node.attr.startswith("__"):
                continue
            on_self = isinstance(node.value, ast.Name) and node.value.id in (
                "self",
                "cls",
            )
            private = node.attr.startswith("_")
            if (private and not on_self and node.attr not in ours) or (
                node.attr in keras_private
            ):
                used.setdefault(node.attr, set()).add(path.name)
    assert used == {"_initial_epoch": {"backup_and_restore.py"}}


def _python(code):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


INFERENCE = (
    "stylizer = keras_style.zoo.load('wave')\n"
    "assert stylizer.stylize(np.zeros((16, 16, 3), 'uint8')).size == (16, 16)\n"
    "net = keras_style.TransformNet.from_preset('rain_princess')\n"
    "photo = np.zeros((16, 16, 3), 'uint8')\n"
    "keras_style.zoo.load('arbitrary').stylize(photo, style_image=photo)\n"
    "keras_style.zoo.load('magenta26').stylize(photo, style=7)\n"
)


def _training_modules_loaded_by(code):
    return _python(
        "import sys, numpy as np\n"
        "import keras_style\n"
        f"{code}\n"
        f"print([m for m in {TRAINING_MODULES!r} if m in sys.modules])\n"
    )


@pytest.mark.slow
def test_zoo_inference_loads_no_training_code():
    assert _training_modules_loaded_by(INFERENCE) == "[]"


@pytest.mark.slow
def test_a_training_import_is_seen():
    # The check above can fail: an inference path that pulled in the
    # training entry point would be reported.
    loaded = _training_modules_loaded_by("import keras_style.training.run")
    assert "keras_style.training.run" in loaded
    assert "keras_style.training.backup_and_restore" in loaded


@pytest.mark.slow
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


@pytest.mark.parametrize("switch", ["0", "1"])
def test_tensorflow_onednn_query_follows_tensorflows_own_switch(switch):
    # TF_ENABLE_ONEDNN_OPTS overrides TensorFlow's choice by CPU.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": switch}
    code = (
        "from keras_style.utils.backend_config import tensorflow_uses_onednn\n"
        "print(tensorflow_uses_onednn())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == str(switch == "1")


@pytest.mark.parametrize("onednn", [False, True])
def test_tensorflow_winograd_starts_where_it_beats_the_native_convolution(
    onednn, monkeypatch
):
    # oneDNN's convolutions beat Winograd at 128 channels; Eigen's do not.
    from keras_style.optimize import vgg_forward

    monkeypatch.setattr(vgg_forward, "tensorflow_uses_onednn", lambda: onednn)
    cpu = vgg_forward._winograd_min_channels("tensorflow", on_cpu=True)
    for channels, expected in ((128, not onednn), (256, True), (64, False)):
        kernel = type("K", (), {"shape": (3, 3, channels, channels)})()
        assert vgg_forward._use_winograd(kernel, cpu) is expected, channels


def test_cpu_fast_paths_stay_off_other_devices():
    # Winograd was measured faster on CPUs only: a GPU keeps the native
    # convolution until it is measured there.
    # So was JAX's instance norm as matmuls.
    from keras_style.layers import jax_instance_norm
    from keras_style.optimize import vgg_forward

    assert jax_instance_norm.pays_off("cpu")
    assert not jax_instance_norm.pays_off("gpu")
    kernel = type("K", (), {"shape": (3, 3, 512, 512)})()
    for backend in ("tensorflow", "jax"):
        cpu = vgg_forward._winograd_min_channels(backend, on_cpu=True)
        assert vgg_forward._use_winograd(kernel, cpu)
        assert not vgg_forward._use_winograd(
            kernel, vgg_forward._winograd_min_channels(backend, on_cpu=False)
        )
