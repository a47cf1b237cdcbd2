"""Private helpers shared by the dataset loaders and the synthetic generators.

Nothing here imports torch or skorch: the dataset layer only needs numpy, scipy and sklearn.
"""

import numbers
import pickle
import struct
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["DatasetFormatError"]


class DatasetFormatError(ValueError):
    """A dataset file exists but is not in the published format (or is damaged).

    Subclasses :class:`ValueError`, so ``except ValueError`` catches it too. The message names
    the offending file, says what was expected and what was found, and how to fix it.
    """


# --------------------------------------------------------------------------------------------
# Directories and id selection
# --------------------------------------------------------------------------------------------
def resolve_directory(data_dir, *, dataset, argument="data_dir"):
    """Return ``data_dir`` as an existing directory :class:`~pathlib.Path` or raise clearly."""
    if data_dir is None:
        raise TypeError(f"{argument} must be a path to the {dataset} folder, got None.")
    path = Path(data_dir).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"The {dataset} directory {str(path)!r} does not exist. Pass the folder that holds "
            f"the {dataset} files (the datasets are licensed and are not downloaded by "
            "sk_prnet; obtain them from their owners, or write synthetic stand-ins with "
            "sk_prnet.datasets.make_synthetic_deap / make_synthetic_seed)."
        )
    if not path.is_dir():
        raise NotADirectoryError(
            f"{argument}={str(path)!r} is a file, not a directory. Pass the folder that holds "
            f"the {dataset} files, not a single file."
        )
    return path


def as_int_list(values, *, name):
    """Turn ``None``, an int or an iterable of ints into a sorted list of distinct ints."""
    if values is None:
        return None
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        values = [values]
    elif isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be an int or an iterable of ints, got {values!r}.")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must contain ints, got {v!r} of type {type(v).__name__}.")
        out.append(int(v))
    if not out:
        raise ValueError(f"{name} is empty; pass None to select all of them.")
    return sorted(set(out))


def select_ids(requested, available, *, what, where):
    """Check that every requested id is available; return the selection (sorted)."""
    available = sorted(available)
    if requested is None:
        return available
    missing = [r for r in requested if r not in set(available)]
    if missing:
        names = ", ".join(str(m) for m in missing)
        raise ValueError(
            f"{what} {names} not found in {where}. Available {what}s: "
            f"{', '.join(str(a) for a in available)}."
        )
    return list(requested)


def seed_sequences(random_state, n):
    """``n`` independent :class:`numpy.random.SeedSequence` children from ``random_state``.

    Child ``i`` depends only on ``random_state`` and ``i`` (not on ``n``), so subject 3 of a
    10-subject synthetic dataset equals subject 3 of a 32-subject one with the same seed.
    """
    if isinstance(random_state, np.random.Generator):
        entropy = random_state.integers(0, 2**32, size=4, dtype=np.uint64)
    else:
        entropy = check_random_state(random_state).randint(0, 2**32, size=4, dtype=np.uint64)
    return np.random.SeedSequence([int(e) for e in entropy]).spawn(n)


def check_float_dtype(dtype):
    """Return ``np.dtype(dtype)`` if it is a floating dtype, else raise."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be a floating numpy dtype, got {dtype!r}.") from err
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating numpy dtype (e.g. np.float32), got {dt}.")
    return dt


# --------------------------------------------------------------------------------------------
# Python-2 pickles (DEAP's .dat files)
# --------------------------------------------------------------------------------------------
def _numpy_object(module, name):
    try:  # numpy >= 2 keeps the C core in numpy._core; numpy 1.x in numpy.core
        from numpy._core import multiarray, numeric
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric
    table = {
        "multiarray": {"_reconstruct": multiarray._reconstruct, "scalar": multiarray.scalar},
        "numeric": {"_frombuffer": getattr(numeric, "_frombuffer", None)},
    }
    sub = module.rsplit(".", 1)[-1]
    return table.get(sub, {}).get(name)


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds numpy arrays, dicts, lists and plain scalars.

    Unpickling can run arbitrary code; a DEAP file only ever holds a dict of numpy arrays, so
    any other global it names is refused instead of imported.
    """

    _NUMPY_MODULES = (
        "numpy.core.multiarray",
        "numpy._core.multiarray",
        "numpy.core.numeric",
        "numpy._core.numeric",
    )

    def find_class(self, module, name):
        if module in self._NUMPY_MODULES:
            obj = _numpy_object(module, name)
            if obj is not None:
                return obj
        elif module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        elif module == "numpy.dtypes" and name.endswith("DType"):
            import numpy.dtypes

            obj = getattr(numpy.dtypes, name, None)
            if obj is not None:
                return obj
        elif module == "_codecs" and name == "encode":
            import codecs

            return codecs.encode
        raise pickle.UnpicklingError(
            f"the pickle refers to {module}.{name}, which a file holding only numpy arrays "
            "never does; refusing to import it (unpickling untrusted data can run code)"
        )


def load_latin1_pickle(path):
    """Load a Python-2 pickle of numpy arrays (``encoding="latin1"``), refusing other globals.

    Errors of any kind while unpickling are re-raised as :class:`DatasetFormatError` naming
    the file.
    """
    try:
        with open(path, "rb") as f:
            return _ArrayOnlyUnpickler(f, encoding="latin1").load()
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as err:
        raise DatasetFormatError(
            f"Could not unpickle {str(path)!r} ({type(err).__name__}: {err}). The file is "
            "damaged, truncated or not a DEAP 'data_preprocessed_python' .dat file; "
            "re-extract it from the DEAP archive (data_preprocessed_python.zip)."
        ) from err


class _Py2Pickler(pickle._Pickler):
    """Protocol-2 pickler whose output matches what Python 2's cPickle wrote for DEAP.

    ``bytes`` and ASCII ``str`` are written as Python-2 ``str`` opcodes (``BINSTRING``): an
    array's raw buffer is stored as-is (not re-encoded as UTF-8 text, which would inflate a
    100 MB file by half) and the file can only be read with ``encoding="latin1"``, exactly
    like the real ``sXX.dat`` files. numpy globals are spelled ``numpy.core.*`` as in those.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def _write_py2_str(self, data):
        n = data.nbytes if isinstance(data, memoryview) else len(data)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]))
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n))
        self.write(data)  # separately: no copy of a 100 MB buffer

    def _save_py2_str(self, obj):
        self._write_py2_str(obj)
        self.memoize(obj)

    def reducer_override(self, obj):
        # What ndarray.__reduce__ returns, but with a view of the buffer instead of a copy.
        if (
            type(obj) is np.ndarray
            and obj.size > 0
            and obj.ndim > 0
            and obj.flags.c_contiguous
            and not obj.dtype.hasobject
        ):
            return (
                _numpy_object("multiarray", "_reconstruct"),
                (np.ndarray, (0,), b"b"),
                (1, obj.shape, obj.dtype, False, memoryview(obj).cast("B")),
            )
        return NotImplemented

    def _save_str(self, obj):
        if obj.isascii():
            self._write_py2_str(obj.encode("ascii"))  # not memoized: a temporary object
        else:
            pickle._Pickler.save_str(self, obj)

    def save_global(self, obj, name=None):
        module = getattr(obj, "__module__", None)
        name = name or getattr(obj, "__qualname__", obj.__name__)
        if module is None or "." in name:
            return pickle._Pickler.save_global(self, obj, name)
        if module.startswith("numpy._core"):
            module = "numpy.core" + module[len("numpy._core") :]
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str
    dispatch[memoryview] = _save_py2_str
    dispatch[str] = _save_str


def dump_py2_pickle(obj, path):
    """Write ``obj`` (a dict of numpy arrays) as a Python-2-style protocol-2 pickle."""
    with open(path, "wb") as f:
        _Py2Pickler(f, protocol=2).dump(obj)
