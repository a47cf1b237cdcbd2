"""The package's layering (../shared/architecture.md) as import-linter contracts.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``); a forbidden import --
``modules`` importing scikit-learn, ``eeg`` importing torch, anything below ``experiments``
importing it, or any import cycle, even through an import inside a function -- fails here.
"""

import contextlib
import io
import os
from pathlib import Path

import pytest

importlinter_cli = pytest.importorskip("importlinter.cli")

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)  # grimp finds the package from the working directory too
    monkeypatch.syspath_prepend(str(ROOT))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = importlinter_cli.lint_imports(
            config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True
        )
    assert code == 0, out.getvalue()
    assert "BROKEN" not in out.getvalue() and os.path.isdir(ROOT / "sk_prnet")
