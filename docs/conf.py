"""Sphinx configuration of the sk_prnet documentation (``make docs``).

The build needs no network: intersphinx is off (no inventories are fetched) and every
example in the gallery runs on synthetic data written in the real file formats.
"""

import os
import warnings
from datetime import date

import sk_prnet

project = "sk_prnet"
author = "sk_prnet developers"
copyright = f"2025-{date.today().year}, {author}"  # noqa: A001
release = sk_prnet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5", "auto_examples/*.pickle", "sg_execution_times.rst"]

# --------------------------------------------------------------------------- API reference
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
# numpydoc lists the members itself through the autosummary class template.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False
numpydoc_xref_param_type = False
# numpydoc's own docstring validation replaces the home-made checker that docs/api.md had:
# every public object must have a summary, parameters documented and in order, and sections
# in the numpydoc order. The build fails on a violation (sphinx -W).
numpydoc_validation_checks = {"GL06", "GL07", "GL08", "PR01", "PR02", "PR03", "PR10",
                              "SS01", "SS03"}
# Not enforced: PR04/PR07 (a type and a description on every parameter line), because the
# estimators document their many shared parameters once, in PRNetClassifier, and refer to
# that list as a group ("optimizer, lr, ... : As in PRNetClassifier").
numpydoc_validation_exclude = {
    # members inherited from skorch/torch/scikit-learn are documented by those projects
    r"\.__init__$", r"\.forward$",
    # module constants and scorer objects: documented by a ``#:`` comment, not a docstring
    r"\.[A-Z][A-Z0-9_]*$", r"_scorer$",
}

# --------------------------------------------------------------------------- Markdown
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3
# Markdown pages link to files of the repository outside docs/ (README, benchmarks): those
# links are rewritten in the built site by myst as plain references.
suppress_warnings = ["myst.xref_missing"]

# --------------------------------------------------------------------------- gallery
os.environ.setdefault("MPLBACKEND", "Agg")
# torch's CPU threads: the tiny networks of the examples train fastest on one.
os.environ.setdefault("OMP_NUM_THREADS", "1")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reference_url": {"sk_prnet": None},
    "doc_module": ("sk_prnet",),
    "backreferences_dir": "generated/backreferences",
    "matplotlib_animations": False,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "show_memory": False,
}
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

# --------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"sk_prnet {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}
