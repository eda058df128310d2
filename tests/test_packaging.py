"""normlib as an installable library: its wheel, its metadata, and that it works alone.

The wheel is built once from a copy of the checkout (so the build leaves nothing in the
working tree), installed into a bare folder and imported from there with the checkout off
``sys.path``; numpy and Pillow come from the running interpreter.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "normlib"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
# What a build must not see: the venv, git, caches and earlier build output.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    "build",
    "dist",
    "*.egg-info",
)


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, (
        f"{' '.join(args)} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
    )
    return completed.stdout


def _bare_env(pythonpath: Path) -> dict[str, str]:
    """The environment with only `pythonpath` added: no PYTHONPATH pointing at the checkout."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = str(pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = work / "wheels"
    # No build isolation: the venv's setuptools builds it, offline (requirements-dev.txt).
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + [str(source), "-w", str(out)],
        cwd=work,
    )
    (built,) = out.glob("normlib-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding nothing but the installed wheel."""
    site = tmp_path_factory.mktemp("site")
    _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target"]
        + [str(site), str(wheel)],
        cwd=site.parent,
    )
    return site


def _metadata(wheel: Path) -> tuple[list[str], dict[str, list[str]], str]:
    """(requirements without an extra, requirements per extra, Requires-Python) of the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"normlib-{VERSION}.dist-info/METADATA").decode()
    message = Parser().parsestr(text)
    plain: list[str] = []
    extras: dict[str, list[str]] = {}
    for requirement in message.get_all("Requires-Dist") or []:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement)
        if extra:
            extras.setdefault(extra.group(1), []).append(name)
        else:
            plain.append(name)
    return (
        sorted(plain),
        {key: sorted(names) for key, names in extras.items()},
        message["Requires-Python"],
    )


def test_the_wheel_ships_normlib_and_nothing_of_the_app(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"normlib", f"normlib-{VERSION}.dist-info"}
    for app_part in ("normapp/", "pages/", "tests/", "assets/", "app.py", "benchmarks/"):
        assert not [name for name in names if name.startswith(app_part)], app_part
    shipped = {name for name in names if name.startswith("normlib/")}
    modules = {f"normlib/{path.name}" for path in PACKAGE.glob("*.py")}
    # py.typed tells type checkers that normlib's own annotations are to be used.
    assert shipped == modules | {"normlib/py.typed"}
    assert "normlib/typing.py" in shipped


def test_the_wheel_requires_numpy_and_pillow_and_the_app_only_as_an_extra(wheel):
    plain, extras, requires_python = _metadata(wheel)
    assert plain == ["numpy", "pillow"]
    assert extras == {
        "app": [
            "orjson",
            "pandas",
            "plotly",
            "psycopg",
            "pyarrow",
            "segno",
            "sqlalchemy",
            "starlette",
            "streamlit",
            "threadpoolctl",
        ]
    }
    assert requires_python == ">=3.11"


def test_library_and_app_extra_together_are_requirements_txt():
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    required = {line.replace(" ", "") for line in lines if line.strip() and line[0] != "#"}
    project = PYPROJECT["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["app"]
    assert sorted(requirement.replace(" ", "") for requirement in declared) == sorted(required)


def test_the_installed_library_imports_and_works_away_from_the_checkout(installed, tmp_path):
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path

        import numpy as np
        from PIL import Image

        import normlib
        from normlib.typing import Shape4

        folder = Path("pictures")
        folder.mkdir()
        Image.new("RGB", (8, 6), (0, 0, 255)).save(folder / "blue.png")
        shape: Shape4 = (2, 3, 4, 4)
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
        result = normlib.normalize(x, "layernorm")
        print(json.dumps({
            "file": normlib.__file__,
            "path": sys.path,
            "names": normlib.sample_names(folder),
            "blue": normlib.sample_images(folder, (4, 4))[0, :, 0, 0].tolist(),
            "mean": result.set_mean.tolist(),
        }))
        """
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = json.loads(
        _run([sys.executable, "-c", script], cwd=elsewhere, env=_bare_env(installed))
    )
    assert Path(report["file"]).resolve() == (installed / "normlib" / "__init__.py").resolve()
    on_path = [Path(entry or elsewhere).resolve() for entry in report["path"]]
    assert ROOT.resolve() not in on_path
    assert report["names"] == ["blue"]
    assert report["blue"] == [0.0, 0.0, 1.0]
    # LayerNorm's mean per sample of 0..47: (0 + 47) / 2 and (48 + 95) / 2.
    assert report["mean"] == [23.5, 71.5]


def test_the_installed_library_passes_its_own_doctests(installed, tmp_path):
    # Options as in pyproject.toml, which the installed copy does not have.
    options = PYPROJECT["tool"]["pytest"]["ini_options"]["doctest_optionflags"]
    ini = tmp_path / "pytest.ini"
    ini.write_text(f"[pytest]\ndoctest_optionflags = {' '.join(options)}\n", encoding="utf-8")
    summary = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
        + ["-c", str(ini), "--rootdir", str(installed), "--doctest-modules"]
        + [str(installed / "normlib")],
        cwd=tmp_path,
        env=_bare_env(installed),
    )
    passed = re.search(r"(\d+) passed", summary)
    modules_with_examples = sum(">>> " in path.read_text() for path in PACKAGE.glob("*.py"))
    assert passed and int(passed.group(1)) >= modules_with_examples, summary


# Path building that would reach out of the package: its own file's location, "..", or
# the names of the checkout's other folders used as path parts.
_OUTSIDE_NAMES = {"assets", "samples", "tests", "explorer", "pages", "..", "app.py"}


def _reaches_outside(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name) and node.id == "__file__":
        return "__file__"
    if isinstance(node, ast.Attribute) and node.attr in {"parent", "parents", "pardir"}:
        return f".{node.attr}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = set(re.split(r"[/\\]", node.value))
        if node.value in _OUTSIDE_NAMES or (len(parts) > 1 and parts & _OUTSIDE_NAMES):
            return repr(node.value)
    return None


def test_no_normlib_module_builds_a_path_outside_its_package():
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            reason = _reaches_outside(node)
            if reason:
                found.append(f"{path.name}:{node.lineno}: {reason}")
    assert not found, "normlib reaches outside its package; take the path as an argument"


def test_the_leak_check_catches_the_old_samples_path():
    old = 'SAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "samples"'
    reasons = {_reaches_outside(node) for node in ast.walk(ast.parse(old))} - {None}
    assert reasons == {"__file__", ".parent", "'assets'", "'samples'"}


# ------------------------------------------ CI runs what a newcomer runs, nothing more
def _ci_commands() -> list[str]:
    """.ci/run's command lines: comments, blank lines and shell set-up dropped."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_ci_installs_no_python_package_and_ends_in_make_test():
    """Issue 22: CI installed torch and Keras itself, so `make test` on a fresh clone failed
    at mypy while CI passed. CI may install system packages only, then run `make test`."""
    commands = _ci_commands()
    python_installs = [line for line in commands if re.search(r"\bpip3?\b|\buv\b|python -m", line)]
    assert not python_installs, python_installs
    assert commands[-1] == "make test", commands[-1]


def test_the_oracles_are_pinned_in_a_file_make_test_installs():
    """torch and Keras, the tests' oracles, are installed by `make test` at CI's versions."""
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "-r requirements-oracle.txt" in dev
    oracle = (ROOT / "requirements-oracle.txt").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([a-z]+)==(\S+)$", oracle, flags=re.M))
    assert pins == {"torch": "2.13.0", "keras": "3.15.1"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\$\(VENV\)/\.installed-dev:.*requirements-oracle\.txt", makefile, re.M)
    from tests.conftest import require_keras, require_torch

    torch, keras = require_torch(), require_keras()
    # The versions the tests ran against are the pinned ones (no other torch slipped in).
    assert torch.__version__.split("+")[0] == pins["torch"]
    assert keras.__version__ == pins["keras"]


def test_the_readme_names_every_system_package_ci_installs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "apt-get install -y chromium nginx postgresql" in readme
    for package in ("chromium", "nginx", "postgresql"):
        assert f"missing+=({package})" in ci, package
