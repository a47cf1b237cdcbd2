"""Generate ``docs/api.md``, the API reference, from the numpydoc docstrings of sk_prnet.

Usage::

    python docs/build_api.py                   # regenerate docs/api.md
    python docs/build_api.py --check           # exit 1 if docs/api.md is stale
    python docs/build_api.py --check --strict  # ... or if a docstring is missing / incomplete

Every run also lists the public names whose documentation is missing or incomplete: functions
and classes without a docstring, functions taking arguments without a ``Parameters`` section,
functions returning a value without a ``Returns`` (or ``Yields``) section, classes whose
``__init__`` takes arguments without a ``Parameters`` section (``Attributes`` for a
dataclass), methods defined in sk_prnet without a docstring, and public callable objects
(e.g. scorers) without a ``#:`` comment.

The public API is the ``__all__`` of each module in :data:`MODULES`. For classes, only the
public methods defined in sk_prnet classes are listed (methods inherited unchanged from
scikit-learn, skorch or torch are not). Module constants are documented by the ``#:`` comment
lines just above their assignment. Only the standard library, numpy (through sk_prnet) and
sk_prnet itself are used.
"""

import argparse
import ast
import dataclasses
import difflib
import importlib
import importlib.util
import inspect
import pprint
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API_PATH = ROOT / "docs" / "api.md"
REGENERATE = "python docs/build_api.py"

#: The public modules, in the order of the reference.
MODULES = (
    "sk_prnet",
    "sk_prnet.ordinal",
    "sk_prnet.metrics",
    "sk_prnet.eeg",
    "sk_prnet.datasets",
    "sk_prnet.feature_selection",
    "sk_prnet.model_selection",
    "sk_prnet.pipelines",
    "sk_prnet.modules",
    "sk_prnet.experiments",
)

#: numpydoc sections made of ``name : type`` items followed by indented descriptions.
ITEM_SECTIONS = frozenset({
    "Parameters", "Other Parameters", "Returns", "Yields", "Receives", "Raises", "Warns",
    "Attributes", "Methods", "See Also",
})  # fmt: skip
CODE_SECTIONS = frozenset({"Examples"})
WIDTH = 95  # signatures longer than this are written one parameter per line

_SECTION_UNDERLINE = re.compile(r"^-{3,}$")
_RST_TABLE_BORDER = re.compile(r"^=+( +=+)+$")
_RULE_LINE = re.compile(r"^(=+|-+)$")
_LIST_ITEM = re.compile(r"^([*+-]|\d+[.)]|#\.)\s")
_ROLE = re.compile(r":(?:[\w-]+:)?[\w-]+:`(~?)([^`<]*?)(?:\s*<([^`>]+)>)?`")
_LITERAL = re.compile(r"``(.+?)``")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


# --------------------------------------------------------------------------- discovery
def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError:  # run from a checkout without an installed package
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        return importlib.import_module(name)


def public_api():
    """The public names of every module of :data:`MODULES`.

    Returns
    -------
    api : list of (str, module, list of (str, object))
        ``(module_name, module, [(name, obj), ...])`` in ``__all__`` order. Lazy attributes
        (the estimators of ``sk_prnet``) are resolved with ``getattr``.
    """
    api = []
    for module_name in MODULES:
        module = _import(module_name)
        api.append((module_name, module, [(n, getattr(module, n)) for n in module.__all__]))
    return api


def is_alias(module_name, name, obj, api):
    """Qualified name of the documentation of a re-export of ``sk_prnet``, else None."""
    if module_name != "sk_prnet":
        return None
    for other, module, names in api:
        if other != "sk_prnet" and name in dict(names) and getattr(module, name) is obj:
            return f"{other}.{name}"
    return None


def is_routine(obj):
    return inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.ismethod(obj)


def kind_of(obj):
    """``"class"``, ``"function"``, ``"object"`` (another callable) or ``"constant"``."""
    if inspect.isclass(obj):
        return "class"
    if is_routine(obj):
        return "function"
    if callable(obj):
        return "object"
    return "constant"


def own_doc(obj):
    """The docstring written for ``obj`` itself (not inherited), cleaned, or None."""
    if isinstance(obj, property):
        obj = obj.fget
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    return inspect.cleandoc(doc)


def public_methods(cls):
    """Public methods and properties of ``cls`` defined in sk_prnet classes.

    Returns
    -------
    methods : list of (str, object, type)
        ``(name, function_or_property, defining_class)``, sorted by name. Methods inherited
        unchanged from scikit-learn, skorch or torch are left out; overrides defined in an
        sk_prnet class (public or private, e.g. a shared base) are kept.
    """
    found = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("sk_prnet"):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in found:
                continue
            if isinstance(attr, staticmethod | classmethod):
                attr = attr.__func__
            if isinstance(attr, property) or (
                inspect.isfunction(attr) and attr.__module__.startswith("sk_prnet")
            ):
                found[name] = (name, attr, klass)
    return [found[name] for name in sorted(found)]


def _init_owner(cls):
    """The sk_prnet class of ``cls.__mro__`` that defines ``__init__``, or None."""
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            return klass if klass.__module__.startswith("sk_prnet") else None
    return None


def _arguments(obj, *, skip_first=False):
    """Names of the parameters of a function (or of a class's sk_prnet ``__init__``)."""
    if inspect.isclass(obj):
        owner = _init_owner(obj)
        if owner is None:
            return []
        obj, skip_first = vars(owner)["__init__"], True
    try:
        params = list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return []
    return params[1:] if skip_first else params


def _function_node(func):
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return None


def returns_value(func):
    """``"Returns"`` if ``func`` returns a value, ``"Yields"`` for a generator, else None."""
    node = _function_node(inspect.unwrap(func))
    if node is None:
        return None
    returns = False
    todo = list(node.body)
    while todo:
        child = todo.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue  # a nested scope's returns are not ours
        if isinstance(child, ast.Yield | ast.YieldFrom):
            return "Yields"
        if isinstance(child, ast.Return) and child.value is not None:
            returns = returns or not (
                isinstance(child.value, ast.Constant) and child.value.value is None
            )
        todo.extend(ast.iter_child_nodes(child))
    return "Returns" if returns else None


def doc_sections(doc):
    """Titles of the numpydoc sections of a cleaned docstring."""
    lines = (doc or "").splitlines()
    return [
        lines[i].strip()
        for i in range(len(lines) - 1)
        if lines[i].strip() and _SECTION_UNDERLINE.match(lines[i + 1].strip())
    ]


def attribute_comment(module_name, name):
    """Documentation of a module attribute: its ``#:`` comment lines, or a string after it.

    The ``#:`` lines just above an assignment document it and the assignments that follow it
    without a blank line (``x = ...`` then ``y = ...``). Follows ``from .x import name``
    re-exports to the module that assigns ``name``.
    """
    module = _import(module_name)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return None
    lines = source.splitlines()
    body = ast.parse(source).body
    for index, node in enumerate(body):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    package = module.__package__ or module_name
                    target = importlib.util.resolve_name(
                        "." * node.level + (node.module or ""), package
                    )
                    return attribute_comment(target, alias.name)
            continue
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        assigned = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if name not in assigned:
            continue
        # A ``#:`` comment documents the run of assignments written right below it.
        first = index
        while (
            first > 0
            and isinstance(body[first - 1], ast.Assign | ast.AnnAssign)
            and body[first - 1].end_lineno == body[first].lineno - 1
        ):
            first -= 1
        comment, row = [], body[first].lineno - 2
        while row >= 0 and lines[row].lstrip().startswith("#:"):
            comment.insert(0, lines[row].lstrip()[2:].strip())
            row -= 1
        if comment:
            return "\n".join(comment)
        after = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            return inspect.cleandoc(after.value.value)
        return None
    return None


# --------------------------------------------------------------------------- checks
def object_problems(module_name, name, obj):
    """What is missing from the documentation of one public name.

    Parameters
    ----------
    module_name : str
        The public module the name belongs to.
    name : str
        The name in the module's ``__all__``.
    obj : object
        ``getattr(module, name)``.

    Returns
    -------
    problems : list of str
        One ``"qualified.name: what is missing"`` line per problem: no docstring, no
        ``Parameters`` section although the function (the class's ``__init__``) takes
        arguments (``Attributes`` will do for a dataclass), no ``Returns``/``Yields``
        section although the function returns a value, a public method without a
        docstring, a callable object without a ``#:`` comment.
        Constants are not checked.
    """
    qualname = f"{module_name}.{name}"
    kind = kind_of(obj)
    if kind == "constant":
        return []  # documented by an optional ``#:`` comment
    if kind == "object":
        if attribute_comment(module_name, name) is None:
            return [
                f"{qualname}: callable {type(obj).__name__} object without documentation "
                "(add a '#:' comment above its assignment)"
            ]
        return []
    doc = own_doc(obj)
    if doc is None:
        return [f"{qualname}: {kind} without a docstring"]
    problems = []
    sections = doc_sections(doc)
    arguments = _arguments(obj)
    documented = {"Parameters"}
    if dataclasses.is_dataclass(obj):
        documented.add("Attributes")  # the fields are the ``__init__`` arguments
    if arguments and not documented & set(sections):
        problems.append(
            f"{qualname}: no 'Parameters' section ({kind} takes {', '.join(arguments)})"
        )
    if kind == "function":
        needed = returns_value(obj)
        if needed and not {"Returns", "Yields"} & set(sections):
            problems.append(f"{qualname}: no '{needed}' section (returns a value)")
    if kind == "class":
        for meth_name, meth, _ in public_methods(obj):
            if own_doc(meth) is None:
                problems.append(f"{qualname}.{meth_name}: method without a docstring")
    return problems


def docstring_problems(api=None):
    """Public names whose documentation is missing or incomplete.

    Parameters
    ----------
    api : list, default=None
        The result of :func:`public_api` (computed when None).

    Returns
    -------
    problems : list of str
        Modules without a docstring, then :func:`object_problems` of every documented name
        (re-exports of ``sk_prnet`` are checked in their own module).
    """
    api = public_api() if api is None else api
    problems = []
    for module_name, module, names in api:
        if own_doc(module) is None:
            problems.append(f"{module_name}: module without a docstring")
        for name, obj in names:
            if not is_alias(module_name, name, obj, api):
                problems += object_problems(module_name, name, obj)
    return problems


# --------------------------------------------------------------------------- rendering
class _Text:
    """An object whose repr is a given text (to print parameter defaults)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def public_path(obj):
    """``module.name`` of a class or function, through the shortest public module exporting it.

    ``torch.nn.modules.loss.MSELoss`` becomes ``torch.nn.MSELoss``; only already imported
    parent packages of the defining module are looked at.
    """
    module, qualname = obj.__module__, obj.__qualname__
    if module == "builtins":
        return qualname
    parts = module.split(".")
    for i in range(1, len(parts)):
        package = sys.modules.get(".".join(parts[:i]))
        try:
            found = getattr(package, qualname, None) if package is not None else None
        except Exception:  # a lazy ``__getattr__`` failing: not exported
            found = None
        if found is obj:
            return f"{package.__name__}.{qualname}"
    return f"{module}.{qualname}"


def _value_text(value):
    if inspect.isclass(value) or is_routine(value):
        return public_path(value)
    return _ADDRESS.sub("", repr(value))


def format_signature(name, obj, *, skip_first=False):
    """``name(param, ...)`` of a callable, one parameter per line when it is long.

    Parameters
    ----------
    name : str
        The name written before the parentheses.
    obj : callable
        A function, class or callable object.
    skip_first : bool, default=False
        Drop the first parameter (``self`` of a method taken from its class).

    Returns
    -------
    signature : str or None
        None when ``inspect.signature`` cannot tell (e.g. exceptions of builtin types).
    """
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())[1 if skip_first else 0 :]
    parts, kw_marker_done, last_kind = [], False, None
    for p in params:
        if last_kind == p.POSITIONAL_ONLY and p.kind != p.POSITIONAL_ONLY:
            parts.append("/")
        if p.kind == p.VAR_POSITIONAL:
            kw_marker_done = True
        if p.kind == p.KEYWORD_ONLY and not kw_marker_done:
            parts.append("*")
            kw_marker_done = True
        if p.default is not p.empty:
            p = p.replace(default=_Text(_value_text(p.default)))
        parts.append(str(p))
        last_kind = p.kind
    if last_kind == inspect.Parameter.POSITIONAL_ONLY:
        parts.append("/")
    returns = ""
    if sig.return_annotation is not sig.empty:
        returns = f" -> {inspect.formatannotation(sig.return_annotation)}"
    one_line = f"{name}({', '.join(parts)}){returns}"
    if len(one_line) <= WIDTH:
        return one_line
    body = "".join(f"    {part},\n" for part in parts)
    return f"{name}(\n{body}){returns}"


def _inline(text, links):
    """RST inline markup to Markdown: ``x`` and :role:`x` become code (linked if known)."""

    def role(match):
        tilde, title, target = match.groups()
        target = (target or title).strip()
        shown = title.strip() if match.group(3) else target
        if tilde:
            shown = shown.rsplit(".", 1)[-1]
        anchor = _resolve(target, links)
        return f"[`{shown}`](#{anchor})" if anchor else f"`{shown}`"

    text = _ROLE.sub(role, text)
    return _LITERAL.sub(r"`\1`", text)


def _resolve(target, links):
    """Anchor of a cross-reference target, or None.

    ``sk_prnet.x.y.name`` (e.g. the defining module of a re-exported name) falls back to
    ``name`` when that short name is documented once.
    """
    target = target.lstrip("~").rstrip("()")
    if target in links:
        return links[target]
    if target.startswith("sk_prnet."):
        return links.get(target.rsplit(".", 1)[-1])
    return None


def _split_sections(doc):
    """``(preamble_lines, [(title, lines), ...])`` of a cleaned numpydoc docstring."""
    lines = doc.splitlines()
    preamble, sections, current = [], [], None
    i = 0
    while i < len(lines):
        line = lines[i]
        is_title = (
            line.strip()
            and not line.startswith(" ")
            and i + 1 < len(lines)
            and _SECTION_UNDERLINE.match(lines[i + 1].strip())
        )
        if is_title:
            current = (line.strip(), [])
            sections.append(current)
            i += 2
            continue
        (preamble if current is None else current[1]).append(line)
        i += 1
    return preamble, sections


def _trim(lines):
    lines = list(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _rst_table(block, links):
    """An RST simple table (``=====  ====`` borders) as a Markdown table, or None."""
    spans = [m.span() for m in re.finditer(r"=+", block[0])]
    borders = [i for i, line in enumerate(block) if _RST_TABLE_BORDER.match(line.strip())]
    if len(borders) not in (2, 3) or borders[0] != 0 or borders[-1] != len(block) - 1:
        return None

    def cells(line):
        out = []
        for k, (start, _) in enumerate(spans):
            stop = spans[k + 1][0] if k + 1 < len(spans) else len(line)
            cell = _inline(line[start:stop].strip(), links)
            out.append(cell.replace("|", "\\|"))
        return out

    for line in block:  # text in the gaps between columns: not a simple table we can read
        for (_, stop), (start, _) in zip(spans, spans[1:]):
            if line[stop:start].strip():
                return None
    rows = [cells(line) for i, line in enumerate(block) if i not in borders and line.strip()]
    if len(borders) == 3:
        n_header = sum(1 for i in range(borders[0] + 1, borders[1]) if block[i].strip())
        header, body = rows[:n_header], rows[n_header:]
        header = [" ".join(col).strip() for col in zip(*header)]
    else:
        header, body = [""] * len(spans), rows
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(spans)]
    out += ["| " + " | ".join(row) + " |" for row in body]
    return out


def _is_definition_term(lines, i):
    """Whether ``lines[i]`` is the term of an RST definition list (indented text below)."""
    line = lines[i]
    if not line.strip() or line[0].isspace() or _LIST_ITEM.match(line):
        return False
    if i + 1 >= len(lines) or not lines[i + 1].strip() or not lines[i + 1][:1].isspace():
        return False
    return i == 0 or not lines[i - 1].strip() or lines[i - 1][0].isspace()


def _text_block(lines, links):
    """Prose lines to Markdown: inline markup, RST simple tables, stray rules escaped."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if _RST_TABLE_BORDER.match(line.strip()):
            j = i + 1
            while j < len(lines) and lines[j].strip():
                j += 1
            table = _rst_table([ln.rstrip() for ln in lines[i:j]], links)
            if table is not None:
                if out and out[-1].strip():
                    out.append("")
                out += table
                i = j
                continue
        if _is_definition_term(lines, i):  # an RST definition list item: term, indented text
            j = i + 1
            while j < len(lines) and lines[j][:1].isspace() and lines[j].strip():
                j += 1
            definition = textwrap.dedent("\n".join(lines[i + 1 : j])).splitlines()
            if out and out[-1].strip() and not out[-1].startswith(("- ", "  ")):
                out.append("")
            term = line.strip()
            term = _item_head(term, "", links) if " : " in term else _inline(term, links)
            out += [f"- {term}", ""]
            out += [f"  {ln}" if ln.strip() else "" for ln in _text_block(definition, links)]
            i = j
            continue
        if _RULE_LINE.match(line.strip()) and len(line.strip()) >= 2:
            out.append(line.replace(line.strip(), "\\" + line.strip(), 1))
        else:
            out.append(_inline(line, links))
        i += 1
    return out


def _item_head(head, title, links):
    name, sep, rest = head.partition(" : ")
    names = [n.strip() for n in name.split(",")] if title == "See Also" else [name.strip()]
    shown = []
    for n in names:
        if not n:
            continue
        literal = _inline(n, links) if "`" in n else f"`{n}`"
        anchor = _resolve(n, links) if title == "See Also" else None
        shown.append(f"[{literal}](#{anchor})" if anchor and "`" not in n else literal)
    text = ", ".join(shown)
    return f"{text} : {_inline(rest, links)}" if sep else text


def _item_section(title, lines, links):
    out, item = [], None
    for line in lines + [""]:
        if line.strip() and not line.startswith(" "):
            if item is not None:
                out += _render_item(*item, title, links)
            item = (line.strip(), [])
        elif item is not None:
            item[1].append(line)
    if item is not None:
        out += _render_item(*item, title, links)
    return out


def _render_item(head, desc, title, links):
    out = [f"- {_item_head(head, title, links)}"]
    desc = _trim(textwrap.dedent("\n".join(desc)).splitlines())
    if desc:  # a paragraph of its own below the ``name : type`` line
        out += ["", *(f"  {line}" if line.strip() else "" for line in _text_block(desc, links))]
    return out


def render_docstring(doc, links=None):
    """Markdown of a numpydoc docstring.

    Parameters
    ----------
    doc : str
        The cleaned docstring (``inspect.cleandoc``).
    links : dict of str to str, default=None
        Anchors of the documented names (short and qualified): cross-references to them
        (roles, ``See Also`` entries) become links.

    Returns
    -------
    markdown : str
        Section titles become bold labels; item sections (``Parameters``, ``Returns``, ...)
        become lists; ``Examples`` become fenced ``pycon`` blocks.
    """
    links = links or {}
    preamble, sections = _split_sections(doc)
    blocks = []
    text = _trim(preamble)
    if text:
        blocks.append("\n".join(_text_block(text, links)))
    for title, lines in sections:
        lines = _trim(lines)
        if title in CODE_SECTIONS:
            body = ["```pycon", *lines, "```"]
        elif title in ITEM_SECTIONS:
            body = _item_section(title, lines, links)
        else:
            body = _text_block(lines, links)
        blocks.append("\n".join([f"**{title}**", "", *body]))
    return "\n\n".join(blocks)


def first_paragraph(doc):
    """The first paragraph (up to the first blank line or section) of a docstring."""
    paragraph = []
    for line in (doc or "").splitlines():
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _anchor(qualname):
    return f'<a id="{qualname}"></a>'


def _code(text, lang="python"):
    return f"```{lang}\n{text}\n```"


def _is_private(cls):
    return cls.__name__.startswith("_") or "._" in f".{cls.__module__}"


def _bases(cls):
    """The public base classes of ``cls`` (private sk_prnet bases replaced by theirs)."""
    names = []
    for base in cls.__bases__:
        if base is object:
            continue
        if _is_private(base) and base.__module__.startswith("sk_prnet"):
            names += [n for n in _bases(base) if n not in names]
            continue
        name = public_path(base)
        if name not in names:
            names.append(name)
    return names


def _render_methods(cls, links):
    out = []
    for name, meth, _ in public_methods(cls):
        if isinstance(meth, property):
            head = f"- `{name}` *(property)*"
        else:
            head = f"- `{format_signature(name, meth, skip_first=True) or name}`"
            if "\n" in head:  # a long signature: keep the list item on one line
                head = f"- `{name}(...)`"
        doc = own_doc(meth)
        summary = _inline(first_paragraph(doc), links) if doc else "*(no docstring)*"
        out += [head, "", f"  {summary}", ""]
    return out


def _render_object(module_name, name, obj, links):
    qualname = f"{module_name}.{name}"
    kind = kind_of(obj)
    out = [_anchor(qualname), "", f"### `{qualname}`", ""]
    defined = getattr(obj, "__module__", None)
    facts = [f"*{kind}*"]
    if kind in ("class", "function") and defined and defined != module_name:
        facts.append(f"defined in `{defined}`")
    if kind == "class":
        if _bases(obj):
            facts.append("bases: " + ", ".join(f"`{n}`" for n in _bases(obj)))
    if kind in ("object", "constant"):
        facts.append(
            f"type `{type(obj).__module__}.{type(obj).__qualname__}`".replace("`builtins.", "`")
        )
    out += [" · ".join(facts), ""]
    if kind in ("class", "function", "object"):
        signature = format_signature(name, obj)
        if signature:
            out += [_code(signature), ""]
    if kind in ("class", "function"):
        doc = own_doc(obj)
        out += [render_docstring(doc, links) if doc else "*(no docstring)*", ""]
    else:
        comment = attribute_comment(module_name, name)
        if comment:
            out += ["\n".join(_text_block(comment.splitlines(), links)), ""]
        prefix = f"{name} = "
        value = pprint.pformat(
            obj, width=max(WIDTH - len(prefix), 40), compact=True, sort_dicts=False
        )
        lines = _ADDRESS.sub("", value).splitlines()
        if len(lines) > 30:
            lines = lines[:30] + ["..."]
        value = f"\n{' ' * len(prefix)}".join(lines)
        out += [_code(prefix + value), ""]
    if kind == "class":
        methods = _render_methods(obj, links)
        if methods:
            out += ["**Methods**", "", *methods]
    return out


def _links(api):
    """Anchors of every documented name, by qualified and (when unique) short name."""
    links, short = {}, {}
    for module_name, _, names in api:
        for name, obj in names:
            target = is_alias(module_name, name, obj, api) or f"{module_name}.{name}"
            links[f"{module_name}.{name}"] = target
            if inspect.isclass(obj) or is_routine(obj):
                links.setdefault(f"{obj.__module__}.{obj.__qualname__}", target)
            short.setdefault(name, set()).add(target)
    for name, targets in short.items():
        if len(targets) == 1:
            links.setdefault(name, targets.pop())
    return links


def build(api=None):
    """The Markdown text of ``docs/api.md``.

    Parameters
    ----------
    api : list, default=None
        The result of :func:`public_api` (computed when None).

    Returns
    -------
    text : str
    """
    api = public_api() if api is None else api
    links = _links(api)
    sk_prnet = _import("sk_prnet")
    out = [
        "# API reference",
        "",
        f"<!-- Generated by docs/build_api.py from the docstrings: do not edit by hand. "
        f"Regenerate with `{REGENERATE}`. -->",
        "",
        f"The public API of `sk_prnet` {sk_prnet.__version__}: the names in the `__all__` of "
        "each module below, with their signatures and docstrings. For classes, the public "
        "methods defined in sk_prnet are listed; methods inherited unchanged from "
        "scikit-learn, skorch or torch (`get_params`, `transform` of selectors, `to`, ...) "
        "are documented there. See the [documentation index](index.md) for guides.",
        "",
        "## Contents",
        "",
    ]
    for module_name, module, names in api:
        entries = []
        for name, obj in names:
            alias = is_alias(module_name, name, obj, api)
            entries.append(f"[`{name}`](#{alias or f'{module_name}.{name}'})")
        summary = first_paragraph(own_doc(module))
        out.append(f"- [`{module_name}`](#{module_name}): {_inline(summary, links)}")
        out.append(f"  {', '.join(entries)}")
    out.append("")
    for module_name, module, names in api:
        out += ["---", "", _anchor(module_name), "", f"## `{module_name}`", ""]
        doc = own_doc(module)
        if doc:
            out += [render_docstring(doc, links), ""]
        aliases = [
            (name, is_alias(module_name, name, obj, api))
            for name, obj in names
            if is_alias(module_name, name, obj, api)
        ]
        if aliases:
            out += ["Re-exported here, documented in their modules:", ""]
            out += ["| name | documented as |", "|---|---|"]
            out += [f"| `{module_name}.{n}` | [`{t}`](#{t}) |" for n, t in aliases]
            out.append("")
        for name, obj in names:
            if not is_alias(module_name, name, obj, api):
                out += _render_object(module_name, name, obj, links)
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def check(path=API_PATH):
    """Compare ``docs/api.md`` with what :func:`build` generates now.

    Parameters
    ----------
    path : path-like, default=API_PATH
        The generated file to check.

    Returns
    -------
    up_to_date : bool
        False when the file is missing or differs from the generated text.
    diff : str
        The first lines of a unified diff (file -> generated); empty when up to date.
    problems : list of str
        See :func:`docstring_problems`.
    """
    api = public_api()
    expected = build(api)
    path = Path(path)
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    diff = ""
    if current != expected:
        lines = difflib.unified_diff(
            current.splitlines(), expected.splitlines(), str(path), "generated", lineterm=""
        )
        diff = "\n".join(list(lines)[:40])
    return current == expected, diff, docstring_problems(api)


def main(argv=None):
    """Command line entry point (see the module docstring).

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success, 1 when ``--check`` finds ``docs/api.md`` stale (or, with ``--strict``,
        docstring problems).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is stale")
    parser.add_argument(
        "--strict", action="store_true", help="also fail on missing or incomplete docstrings"
    )
    parser.add_argument("--output", type=Path, default=API_PATH, help="the file to write")
    args = parser.parse_args(argv)
    status = 0
    if args.check:
        up_to_date, diff, problems = check(args.output)
        if not up_to_date:
            print(f"{args.output} is stale: run `{REGENERATE}`.\n{diff}", file=sys.stderr)
            status = 1
        else:
            print(f"{args.output} is up to date.")
    else:
        api = public_api()
        args.output.write_text(build(api), encoding="utf-8")
        problems = docstring_problems(api)
        print(f"wrote {args.output}")
    if problems:
        print(f"{len(problems)} docstring problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        if args.strict:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
