"""The documentation: ``docs/api.md`` is fresh, the public API is documented, examples run.

``docs/api.md`` is generated from the docstrings by ``docs/build_api.py``; the checks run that
script's functions in this process (no subprocess).
"""

import contextlib
import doctest
import importlib
import importlib.util
import inspect
import io
import pkgutil
import re
import tempfile
from pathlib import Path

import pytest
import sklearn

import sk_prnet

ROOT = Path(__file__).resolve().parents[1]
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Documentation gaps known and reported, expected to fail until fixed (they then XPASS:
#: remove them from here). Methods are keyed by their defining class, so a gap of a shared
#: base class is listed once.
KNOWN_UNDOCUMENTED = {}  # qualname -> reason; keep empty: document instead
KNOWN_MISSING_SECTIONS = {}

#: Modules whose examples are too slow for the suite (none: the estimator examples train
#: tiny networks for a few seconds).
SLOW_DOCTESTS = frozenset()

#: Optional dependencies (extras) that the examples of a module need.
OPTIONAL_DEPENDENCIES = {
    "sk_prnet.modules.augment": ("kornia",),
    "sk_prnet.datasets.affectnet": ("PIL",),
    "sk_prnet.datasets.synthetic_faces": ("PIL",),
}


def _load_build_api():
    spec = importlib.util.spec_from_file_location("build_api", ROOT / "docs" / "build_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_api = _load_build_api()
API = build_api.public_api()


def _params(items, known=None):
    """pytest params ``(qualname, *values)`` with ids, xfail for the gaps listed in ``known``.

    ``items`` yields ``(qualname, key, *values)``; ``key`` is looked up in ``known``.
    """
    params = []
    for qualname, key, *values in items:
        marks = []
        if known and key in known:
            marks = [pytest.mark.xfail(reason=f"known gap: {known[key]}")]
        params.append(pytest.param(qualname, *values, id=qualname, marks=marks))
    return params


def _public_objects(kinds):
    """``(qualname, qualname, module_name, name, obj)`` of the documented names.

    Re-exports of ``sk_prnet`` documented in another module are left out.
    """
    for module_name, _, names in API:
        for name, obj in names:
            if build_api.is_alias(module_name, name, obj, API):
                continue
            if build_api.kind_of(obj) in kinds:
                qualname = f"{module_name}.{name}"
                yield qualname, qualname, module_name, name, obj


def _public_methods():
    """``(qualname, defining_qualname, method)`` of the public methods of public classes."""
    for qualname, _, _, _, cls in _public_objects({"class"}):
        for name, method, owner in build_api.public_methods(cls):
            defined = f"{owner.__module__}.{owner.__qualname__}.{name}"
            yield f"{qualname}.{name}", defined, method


def _doctest_modules():
    """The public modules, the modules defining their names, and every module with examples."""
    names = set(build_api.MODULES)
    for _, _, members in API:
        for _, obj in members:
            if inspect.isclass(obj) or inspect.isfunction(obj):
                names.add(obj.__module__)
    for info in pkgutil.walk_packages(sk_prnet.__path__, "sk_prnet."):
        origin = importlib.util.find_spec(info.name).origin
        if origin and ">>> " in Path(origin).read_text(encoding="utf-8"):
            names.add(info.name)
    return sorted(n for n in names if n.startswith("sk_prnet") and n not in SLOW_DOCTESTS)


# --------------------------------------------------------------------------- (a) api.md
def test_api_md_is_up_to_date():
    up_to_date, diff, _ = build_api.check()
    assert up_to_date, (
        f"docs/api.md is stale (the docstrings or the public API changed): run "
        f"`{build_api.REGENERATE}` and commit docs/api.md.\n{diff}"
    )


def test_api_md_documents_every_public_name():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for module_name, _, names in API:
        assert f'<a id="{module_name}"></a>' in text
        for name, obj in names:
            target = build_api.is_alias(module_name, name, obj, API) or f"{module_name}.{name}"
            assert f'<a id="{target}"></a>' in text, f"{module_name}.{name} is not in api.md"


def test_api_md_links_resolve():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    broken = sorted(set(re.findall(r"\]\(#([^)]+)\)", text)) - anchors)
    assert not broken, f"links to missing anchors in docs/api.md: {broken}"


def test_index_links_exist():
    # Pages marked "(planned)" may not exist yet.
    missing = []
    for line in (ROOT / "docs" / "index.md").read_text(encoding="utf-8").splitlines():
        for target in re.findall(r"\]\(([^)#]+)[^)]*\)", line):
            if "://" not in target and "(planned)" not in line:
                if not (ROOT / "docs" / target).exists():
                    missing.append(target)
    assert not missing, f"docs/index.md links to missing files: {missing}"


# --------------------------------------------------------------------------- (b) docstrings
@pytest.mark.parametrize("module_name", build_api.MODULES)
def test_public_module_has_docstring(module_name):
    assert build_api.own_doc(importlib.import_module(module_name)), module_name


@pytest.mark.parametrize(
    "qualname, module_name, name, obj",
    _params(_public_objects({"class", "function", "object"}), KNOWN_UNDOCUMENTED),
)
def test_public_callable_has_docstring(qualname, module_name, name, obj):
    if build_api.kind_of(obj) == "object":  # e.g. a scorer: documented by a ``#:`` comment
        assert build_api.attribute_comment(module_name, name), (
            f"{qualname} ({type(obj).__name__}) needs a '#:' comment above its assignment"
        )
    else:
        assert build_api.own_doc(obj), f"{qualname} has no docstring"


@pytest.mark.parametrize("qualname, method", _params(_public_methods(), KNOWN_UNDOCUMENTED))
def test_public_method_has_docstring(qualname, method):
    assert build_api.own_doc(method), f"{qualname} has no docstring"


@pytest.mark.parametrize(
    "qualname, module_name, name, obj",
    _params(_public_objects({"class", "function"}), KNOWN_MISSING_SECTIONS),
)
def test_numpydoc_sections(qualname, module_name, name, obj):
    # Methods are checked by test_public_method_has_docstring.
    problems = [
        p
        for p in build_api.object_problems(module_name, name, obj)
        if p.startswith(qualname + ":")
    ]
    assert not problems, "\n".join(problems)


def test_lazy_estimators_are_documented():
    # ``sk_prnet.__getattr__`` imports them on first use: they are in the API all the same.
    names = dict(API[0][2])
    assert names["PRNetClassifier"] is sk_prnet.PRNetClassifier
    assert build_api.own_doc(names["PRNetRegressor"])


# --------------------------------------------------------------------------- (c) doctests
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
