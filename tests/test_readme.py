"""The README's commands are the ones CI runs."""

import re

from conftest import PROJECT_ROOT


def _bash_blocks(text):
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    readme = (PROJECT_ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    install_and_run, install_and_test = [b.strip() for b in _bash_blocks(quickstart)]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert f"TEST_COMMAND='{install_and_test}'" in ci
    assert "pytest" in install_and_test
    assert install_and_run.startswith("pip install .")
    assert "keras-style stylize" in install_and_run


def test_readme_main_command_does_not_use_shared_data():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "shared/" not in readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]


def test_layout_section_names_every_module_and_subpackage():
    """The README's layout block lists what `keras_style/` holds, and only
    that: a module or folder added, moved or removed must be reflected."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\nkeras_style/\n", 1)[1].split("```", 1)[0]
    listed = set(re.findall(r"^  ([a-z_]+)(?:/|\.py)", block, flags=re.M))
    package = PROJECT_ROOT / "keras_style"
    present = {
        p.stem
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").is_file())
        or (p.suffix == ".py" and p.stem not in ("__init__", "version"))
    }
    assert listed == present
