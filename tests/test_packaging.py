"""nnlib installs and imports with NumPy alone."""
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_dependency_is_numpy_alone():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0].split("=")[0] for d in project["dependencies"]] == ["numpy"]
    assert project["name"] != "nnlib"  # that name belongs to another project on PyPI


def test_import_nnlib_loads_no_optional_package():
    optional = ("matplotlib", "ipywidgets", "sklearn", "scipy", "torch", "keras", "IPython")
    code = ("import sys, nnlib; "
            f"print([m for m in sys.modules if m.split('.')[0] in {optional!r}])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
