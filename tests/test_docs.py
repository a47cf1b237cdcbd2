"""The documentation: every public name is in the Sphinx API reference, docstrings pass
numpydoc's own validation (the checks ``docs/conf.py`` configures for the build), the
docstring examples run as doctests, and every guide is in the site's table of contents.

The HTML site itself is built by ``make docs`` (``sphinx-build -W``).
"""

import ast
import contextlib
import doctest
import importlib
import inspect
import io
import pkgutil
import re
import tempfile
from pathlib import Path

import pytest
import sklearn

import sk_prnet

numpydoc_validate = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: The public modules: their ``__all__`` is the public API.
PUBLIC_MODULES = (
    "sk_prnet",
    "sk_prnet.ordinal",
    "sk_prnet.metrics",
    "sk_prnet.eeg",
    "sk_prnet.datasets",
    "sk_prnet.feature_selection",
    "sk_prnet.model_selection",
    "sk_prnet.pipelines",
    "sk_prnet.modules",
    "sk_prnet.estimators",
    "sk_prnet.experiments",
)

#: Optional dependencies (extras) that the doctests of a module need.
OPTIONAL_DEPENDENCIES = {
    "sk_prnet.modules.augment": ("kornia",),
    "sk_prnet.datasets.affectnet": ("PIL",),
    "sk_prnet.datasets.synthetic_faces": ("PIL",),
}


def _conf_value(name):
    """A literal assignment of ``docs/conf.py`` (read without executing the file)."""
    tree = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(name)


CHECKS = _conf_value("numpydoc_validation_checks")
EXCLUDE = [re.compile(p) for p in _conf_value("numpydoc_validation_exclude")]


def _public_names():
    """``(module_name, name, obj)`` for every name in a public module's ``__all__``."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield module_name, name, getattr(module, name)


def _documented_objects():
    """Public classes and functions, once each, under the path where they are defined."""
    seen = {}
    for _, _, obj in _public_names():
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith(
            "sk_prnet"
        ):
            seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(seen.items())


def _documented_methods():
    """Public methods defined (not inherited) by the public classes."""
    for path, cls in _documented_objects():
        if not inspect.isclass(cls):
            continue
        for name, member in vars(cls).items():
            # classmethod objects are not callable themselves, but are documented methods
            if name.startswith("_") or not (
                callable(member) or isinstance(member, classmethod | staticmethod)
            ):
                continue
            yield f"{path}.{name}"


# --------------------------------------------------------------------------- API reference
def test_every_public_name_is_in_the_api_reference():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s{3}(\w+)\s*$", text, re.M))  # autosummary entries
    listed |= set(re.findall(r"^\.\. autodata:: (\w+)", text, re.M))
    missing = sorted(
        f"{module_name}.{name}"
        for module_name, name, _ in _public_names()
        if name not in listed
    )
    assert not missing, f"add these public names to docs/api.rst: {missing}"


def test_every_guide_is_in_the_table_of_contents():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    toctree = index[index.index("```{toctree}") :]
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    missing = sorted(p for p in pages if not re.search(rf"^{p}$", toctree, re.M))
    assert not missing, f"pages not in the toctree of docs/index.md: {missing}"


# --------------------------------------------------------------------------- numpydoc
def _validation_errors(path):
    result = numpydoc_validate.validate(path)
    return [f"{code}: {msg}" for code, msg in result["errors"] if code in CHECKS]


@pytest.mark.parametrize("path", [p for p, _ in _documented_objects()])
def test_numpydoc_validation(path):
    errors = _validation_errors(path)
    assert not errors, f"{path}:\n" + "\n".join(errors)


@pytest.mark.parametrize(
    "path", [p for p in _documented_methods() if not any(e.search(p) for e in EXCLUDE)]
)
def test_numpydoc_validation_of_methods(path):
    errors = _validation_errors(path)
    assert not errors, f"{path}:\n" + "\n".join(errors)


# --------------------------------------------------------------------------- doctests
def _doctest_modules():
    names = set()
    for info in pkgutil.walk_packages(sk_prnet.__path__, "sk_prnet."):
        spec = importlib.util.find_spec(info.name)
        if spec.origin and ">>> " in Path(spec.origin).read_text(encoding="utf-8"):
            names.add(info.name)
    return sorted(names)


@pytest.mark.parametrize("module_name", _doctest_modules())
def test_doctests(module_name, tmp_path, monkeypatch):
    for dependency in OPTIONAL_DEPENDENCIES.get(module_name, ()):
        pytest.importorskip(dependency)
    # Examples writing synthetic datasets to tempfile.mkdtemp() write below tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    module = importlib.import_module(module_name)
    out = io.StringIO()
    # config_context() restores scikit-learn's settings should an example change them.
    with sklearn.config_context(), contextlib.redirect_stdout(out):
        failed, attempted = doctest.testmod(module, optionflags=OPTIONFLAGS, report=True)
    assert failed == 0, f"{failed} of {attempted} doctest(s) of {module_name} failed:\n" + (
        out.getvalue()
    )
