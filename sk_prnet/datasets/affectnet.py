"""Loader for AffectNet's manually annotated images (Mollahosseini et al., 2017).

AffectNet is licensed and never downloaded by sk_prnet: bring your own copy. The loader crops
and resizes every face once into a memory-mapped ``uint8`` cache (``.npy``) and afterwards
returns a read-only view of it, so the 280K training images are never all held in memory.
See ``docs/affectnet.md`` and :func:`sk_prnet.datasets.make_synthetic_affectnet` for
stand-ins in the same format. Pillow (``pip install sk-prnet[images]``) is imported lazily,
only when images have to be decoded or written.
"""

import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._base import DatasetFormatError, resolve_directory

__all__ = ["load_affectnet", "AFFECTNET_COLUMNS", "AFFECTNET_EXPRESSIONS"]

#: Columns of ``training.csv`` / ``validation.csv``, in the published order.
AFFECTNET_COLUMNS = (
    "subDirectory_filePath",
    "face_x",
    "face_y",
    "face_width",
    "face_height",
    "facial_landmarks",
    "expression",
    "valence",
    "arousal",
)
#: Columns the loader needs (``facial_landmarks`` is not used and may be absent).
_REQUIRED = tuple(c for c in AFFECTNET_COLUMNS if c != "facial_landmarks")
_NUMERIC = ("face_x", "face_y", "face_width", "face_height", "expression", "valence", "arousal")
#: Meaning of the ``expression`` codes.
AFFECTNET_EXPRESSIONS = (
    "neutral",
    "happy",
    "sad",
    "surprise",
    "fear",
    "disgust",
    "anger",
    "contempt",
    "none",
    "uncertain",
    "non-face",
)
#: Valence/arousal value marking an uncertain or face-less image; such rows are dropped.
AFFECTNET_UNCERTAIN = -2.0
_SPLITS = ("training", "validation")
_ON_ERROR = ("raise", "skip")
_IMAGES_DIR = "Manually_Annotated_Images"
#: Bump when the decoded pixels would change (crop or resize method): old caches are rebuilt.
_CACHE_FORMAT = 1

AFFECTNET_DESCR = """\
AffectNet (manually annotated subset), faces cropped and resized by sk_prnet
============================================================================

Facial images collected from the web, annotated by human coders with one of 11 expression
codes and with continuous valence and arousal in [-1, 1] (Mollahosseini, Hasani & Mahoor,
"AffectNet: A Database for Facial Expression, Valence, and Arousal Computing in the Wild",
IEEE Trans. Affective Computing, 2017). About 280K training and 4K validation images keep
valence/arousal after dropping the rows marked -2 (uncertain or no face).

Source: ``training.csv`` / ``validation.csv`` (subDirectory_filePath, face_x, face_y,
face_width, face_height, facial_landmarks, expression, valence, arousal) and the images under
``Manually_Annotated_Images/<subDirectory_filePath>``.

Each face box is clipped to the image, cropped, resized (Pillow bilinear with antialiasing) to
size x size RGB and stored channel-first as uint8 in a memory-mapped .npy cache:

- images : (n, 3, size, size) uint8, read-only memmap. Divide by 255 for the paper's [0, 1].
- y : (n, 2) float32 = (arousal, valence); target_names = ["arousal", "valence"].
- expression : (n,) int64 expression codes 0-10 (0 neutral ... 7 contempt, 8 none).
- paths : (n,) subDirectory_filePath of each image; csv_row : (n,) 0-based CSV data row.
"""


# --------------------------------------------------------------------------------------------
# Pillow (optional extra)
# --------------------------------------------------------------------------------------------
def _import_pil():
    """Return ``PIL.Image`` or raise an ImportError naming the ``images`` extra."""
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - exercised only without Pillow
        raise ImportError(
            "Reading or writing AffectNet images needs Pillow, an optional dependency of "
            "sk_prnet. Install it with `pip install sk-prnet[images]` (or `pip install "
            "pillow`)."
        ) from err
    return Image


# --------------------------------------------------------------------------------------------
# Files, CSV parsing and validation
# --------------------------------------------------------------------------------------------
def _find_files(root, split):
    """Return (root, csv_path, images_dir) for ``split`` under ``root``."""
    root = resolve_directory(root, dataset="AffectNet", argument="root")
    name = f"{split}.csv"
    csv_candidates = [root / name, root / "Manually_Annotated_file_lists" / name]
    csv_path = next((p for p in csv_candidates if p.is_file()), None)
    if csv_path is None:
        raise FileNotFoundError(
            f"No {name!r} in {str(root)!r} (nor in its Manually_Annotated_file_lists/ "
            "subfolder). Point root at the AffectNet folder holding training.csv, "
            "validation.csv and Manually_Annotated_Images/ (AffectNet is licensed and not "
            "downloaded by sk_prnet; or write a stand-in with make_synthetic_affectnet)."
        )
    img_candidates = [root / _IMAGES_DIR, root / "Manually_Annotated" / _IMAGES_DIR]
    images_dir = next((p for p in img_candidates if p.is_dir()), None)
    if images_dir is None:
        raise FileNotFoundError(
            f"No {_IMAGES_DIR}/ folder in {str(root)!r}. Extract AffectNet's manually "
            f"annotated images so that {str(root / _IMAGES_DIR)!r}/<subDirectory_filePath> "
            f"are the files listed in {str(csv_path)!r}."
        )
    return root, csv_path, images_dir


def _sha256(path, chunk=1 << 22):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _read_csv(csv_path):
    """Parse and check an AffectNet CSV (with or without header); return a dict of columns."""
    with open(csv_path, encoding="utf-8-sig", errors="replace") as f:
        first = f.readline()
    if not first.strip():
        raise DatasetFormatError(f"{str(csv_path)!r} is empty; expected an AffectNet CSV.")
    has_header = "subDirectory_filePath".lower() in first.lower()
    n_fields = len(first.rstrip("\r\n").split(","))
    if not has_header and n_fields != len(AFFECTNET_COLUMNS):
        raise DatasetFormatError(
            f"{str(csv_path)!r} has no header line naming the columns and its first line has "
            f"{n_fields} fields, expected the {len(AFFECTNET_COLUMNS)} AffectNet columns "
            f"{list(AFFECTNET_COLUMNS)}. Use the training.csv / validation.csv shipped with "
            "AffectNet (Manually_Annotated_file_lists)."
        )
    try:
        if has_header:
            header = pd.read_csv(csv_path, nrows=0, encoding="utf-8-sig").columns
            found = [c.strip() for c in header]
            df = pd.read_csv(
                csv_path, usecols=lambda c: c.strip() in _REQUIRED, encoding="utf-8-sig"
            )
            df.columns = [c.strip() for c in df.columns]
        else:  # a copy of the CSV may lack the header line
            found = list(AFFECTNET_COLUMNS)
            df = pd.read_csv(
                csv_path, header=None, names=found, usecols=_REQUIRED, encoding="utf-8-sig"
            )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        raise DatasetFormatError(
            f"Could not parse {str(csv_path)!r} as an AffectNet CSV ({type(err).__name__}: "
            f"{err}). Expected comma-separated columns {list(AFFECTNET_COLUMNS)}."
        ) from err
    missing = [c for c in _REQUIRED if c not in found]
    if missing:
        raise DatasetFormatError(
            f"{str(csv_path)!r} lacks the column(s) {missing}; found {found}. An AffectNet CSV "
            f"has the columns {list(AFFECTNET_COLUMNS)} (facial_landmarks is optional here)."
        )
    rel = df["subDirectory_filePath"].fillna("").astype(str).str.strip().to_numpy(object)
    out = {"subDirectory_filePath": rel}
    bad = {}
    for col in _NUMERIC:
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64)
        wrong = ~np.isfinite(values)
        if wrong.any():
            rows = np.flatnonzero(wrong)
            raw = df[col].fillna("").astype(str)
            bad[col] = ", ".join(f"line {r + 1 + has_header}: {raw.iloc[r]!r}" for r in rows[:3])
            bad[col] += f" ({rows.size} bad values)" if rows.size > 3 else ""
        out[col] = values
    if bad:
        details = "; ".join(f"{c} ({v})" for c, v in bad.items())
        raise DatasetFormatError(
            f"{str(csv_path)!r} has empty or non-numeric values in the numeric column(s) "
            f"{list(bad)}: {details}. Columns {list(_NUMERIC)} must hold numbers."
        )
    empty = np.flatnonzero(out["subDirectory_filePath"] == "")
    if empty.size:
        raise DatasetFormatError(
            f"{str(csv_path)!r} has an empty subDirectory_filePath on line(s) "
            f"{[int(r) + 1 + has_header for r in empty[:5]]}; every row must name an image."
        )
    for col in ("valence", "arousal"):
        v = out[col]
        wrong = np.flatnonzero(~(((v >= -1) & (v <= 1)) | (v == AFFECTNET_UNCERTAIN)))
        if wrong.size:
            raise DatasetFormatError(
                f"{str(csv_path)!r}: {col} must be in [-1, 1] or -2 (uncertain/no face); line "
                f"{int(wrong[0]) + 1 + has_header} holds {v[wrong[0]]!r} ({wrong.size} such "
                "row(s))."
            )
    return out


# --------------------------------------------------------------------------------------------
# Decoding one face
# --------------------------------------------------------------------------------------------
def _clip_box(x, y, w, h, width, height):
    """Face box (x, y, w, h) clipped to a width x height image as (left, top, right, bottom)."""
    left, top = max(0, int(round(x))), max(0, int(round(y)))
    right, bottom = min(width, int(round(x + w))), min(height, int(round(y + h)))
    if right <= left or bottom <= top:
        raise ValueError(
            f"the face box (x={x:g}, y={y:g}, width={w:g}, height={h:g}) does not overlap the "
            f"{width}x{height} image"
        )
    return left, top, right, bottom


def _decode_face(Image, path, box, size):
    """Open ``path``, crop the clipped face ``box`` and resize to (3, size, size) uint8."""
    with Image.open(path) as img:
        width, height = img.size
        left, top, right, bottom = _clip_box(*box, width, height)
        # JPEG DCT scaling: decode at 1/2, 1/4 or 1/8 when the face stays >= 2 * size wide.
        scale = 1
        while scale < 8 and min(right - left, bottom - top) // (2 * scale) >= 2 * size:
            scale *= 2
        if scale > 1 and img.format == "JPEG":
            img.draft("RGB", (width // scale, height // scale))
            fx, fy = img.size[0] / width, img.size[1] / height
            left, right = int(left * fx), max(int(left * fx) + 1, int(round(right * fx)))
            top, bottom = int(top * fy), max(int(top * fy) + 1, int(round(bottom * fy)))
        face = img.convert("RGB").crop((left, top, right, bottom))
    face = face.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(face, dtype=np.uint8).transpose(2, 0, 1)


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------
def _cache_paths(cache_dir, split, size):
    stem = f"affectnet_{split}_{size}"
    exts = [("npy", ".npy"), ("labels", ".labels.npz"), ("json", ".json")]
    return {k: cache_dir / f"{stem}{ext}" for k, ext in exts}


def _valid_manifest(paths, key, on_error):
    """Return (manifest, images, labels) if the cache matches ``key``, else None."""
    try:
        manifest = json.loads(paths["json"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or any(manifest.get(k) != v for k, v in key.items()):
        return None
    if manifest.get("skipped") and on_error == "raise":
        return None  # built with on_error="skip": retry the skipped files, raising if bad
    try:
        images = np.load(paths["npy"], mmap_mode="r")
        with np.load(paths["labels"], allow_pickle=False) as z:
            labels = {k: z[k] for k in ("y", "expression", "paths", "csv_row")}
    except (OSError, ValueError, KeyError):
        return None
    n, size = manifest.get("n"), key["size"]
    if images.dtype != np.uint8 or images.shape != (n, 3, size, size):
        return None
    if any(len(v) != n for v in labels.values()):
        return None
    return manifest, images, labels


def _report_skipped(skipped, csv_path, what):
    if not skipped:
        return
    first = "; ".join(f"{p} ({reason})" for p, reason in skipped[:5])
    more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    warnings.warn(
        f"AffectNet {what}: skipped {len(skipped)} row(s) of {str(csv_path)!r} whose image is "
        f"missing or unreadable: {first}{more}. They are excluded from the returned arrays.",
        UserWarning,
        stacklevel=3,
    )


def _build_cache(table, rows, images_dir, csv_path, paths, key, size, on_error, progress):
    """Decode the faces of ``rows`` into a new cache, atomically; return its manifest.

    Files are written under temporary names and renamed at the end, the manifest last (after
    removing the old one), so an interrupted build never leaves a cache that looks valid.
    """
    Image = _import_pil()
    from tqdm.auto import tqdm

    rel = table["subDirectory_filePath"]
    files = [images_dir / rel[r] for r in rows]
    # Cheap existence check first, so a missing file fails in seconds, not after hours.
    missing = [i for i, f in enumerate(files) if not f.is_file()]
    if missing and on_error == "raise":
        names = ", ".join(repr(str(files[i])) for i in missing[:5])
        raise FileNotFoundError(
            f"{len(missing)} image(s) listed in {str(csv_path)!r} do not exist, e.g. {names}. "
            f"Check that root points at the AffectNet folder whose {_IMAGES_DIR}/ holds "
            "them, or pass on_error='skip' to leave those rows out."
        )
    skipped = [(rel[rows[i]], "missing") for i in missing]
    todo = np.setdiff1d(np.arange(len(rows)), missing)
    if todo.size == 0:
        raise FileNotFoundError(
            f"None of the {len(rows)} images listed in {str(csv_path)!r} exist under "
            f"{str(images_dir)!r}; root is probably not the AffectNet folder."
        )
    tag = f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = paths["npy"].with_name(paths["npy"].name + tag)
    kept = []
    try:
        out = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.uint8, shape=(todo.size,) + (3, size, size)
        )
        bar = tqdm(
            total=todo.size,
            desc=f"AffectNet {key['split']}: cropping faces to {size}x{size}",
            unit="img",
            disable=not progress,
            mininterval=0.5,
        )
        with bar:
            for i in todo:
                r = rows[i]
                box = (table[c][r] for c in ("face_x", "face_y", "face_width", "face_height"))
                try:
                    face = _decode_face(Image, files[i], tuple(box), size)
                except (OSError, ValueError, Image.DecompressionBombError) as err:
                    if on_error == "raise":
                        raise DatasetFormatError(
                            f"Could not read the face of {str(files[i])!r} (data row {r} of "
                            f"{str(csv_path)!r}, 0-based): {type(err).__name__}: {err}. "
                            "Replace the damaged image or fix the row's face box, or pass "
                            "on_error='skip' to leave the row out."
                        ) from err
                    skipped.append((rel[r], f"{type(err).__name__}: {err}"))
                else:
                    out[len(kept)] = face
                    kept.append(int(r))
                bar.update()
        if not kept:
            raise DatasetFormatError(
                f"None of the {len(rows)} images listed in {str(csv_path)!r} could be read."
            )
        if len(kept) < todo.size:  # unreadable files were skipped: compact into a new file
            tmp2 = tmp.with_name(tmp.name + "c")
            small = np.lib.format.open_memmap(
                tmp2, mode="w+", dtype=np.uint8, shape=(len(kept), 3, size, size)
            )
            for start in range(0, len(kept), 1024):
                stop = min(start + 1024, len(kept))
                small[start:stop] = out[start:stop]
            small.flush()
            del small
            out.flush()
            del out
            os.replace(tmp2, tmp)
        else:
            out.flush()
            del out
        kept = np.asarray(kept, dtype=np.int64)
        tmp_labels = paths["labels"].with_name(paths["labels"].name + tag + ".npz")
        np.savez(
            tmp_labels,
            y=np.column_stack([table["arousal"][kept], table["valence"][kept]]).astype(np.float32),
            expression=table["expression"][kept].astype(np.int64),
            paths=rel[kept].astype(str),
            csv_row=kept,
        )
        from .. import __version__

        manifest = dict(key, n=int(kept.size), n_rows=int(table["valence"].size))
        manifest.update(n_uncertain=int(table["valence"].size - len(rows)), skipped=skipped)
        manifest["sk_prnet_version"] = __version__
        # Invalidate the old cache first: a manifest is only ever next to its own data.
        paths["json"].unlink(missing_ok=True)
        os.replace(tmp, paths["npy"])
        os.replace(tmp_labels, paths["labels"])
        tmp_json = paths["json"].with_name(paths["json"].name + tag)
        tmp_json.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp_json, paths["json"])
    finally:
        for p in paths["npy"].parent.glob(f"*{tag}*"):
            p.unlink(missing_ok=True)
    return manifest


def _resolve_cache_dir(cache_dir, root):
    path = Path(root) / ".sk_prnet_cache" if cache_dir is None else Path(cache_dir).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(
            f"Cannot create the AffectNet cache folder {str(path)!r} ({err}). Pass "
            "cache_dir= a writable folder (the cache needs about n * 3 * size**2 bytes)."
        ) from err
    return path


# --------------------------------------------------------------------------------------------
# Public loader
# --------------------------------------------------------------------------------------------
def _check_params(split, size, on_error):
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int (pixels, 96 in the paper), got {size!r}.")
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}, got {on_error!r}.")
    return int(size)


def load_affectnet(
    root, split="training", size=96, cache_dir=None, on_error="raise", progress=True
):
    """Load AffectNet's manually annotated faces with their arousal and valence.

    Reads ``<root>/<split>.csv`` (with or without its header line), drops the rows whose
    valence or arousal is -2 (uncertain or no face), and for every other row opens
    ``<root>/Manually_Annotated_Images/<subDirectory_filePath>`` with Pillow, converts it to
    RGB, crops the face box ``(face_x, face_y, face_width, face_height)`` clipped to the image
    bounds and resizes it to ``size`` x ``size`` (bilinear with antialiasing, as Pillow does
    when downscaling; large JPEG faces are first decoded at 1/2-1/8 scale by the JPEG
    decoder while still at least ``2 * size`` pixels wide). EXIF orientation is ignored: the
    boxes refer to the stored pixels.

    Decoding is done once. The faces are written image by image into a ``uint8`` ``.npy``
    cache (about ``3 * size**2`` bytes an image: 7.7 GB for 280K images at 96 x 96) that is
    then returned memory-mapped and read-only, so the dataset is never held in memory. The
    cache is reused while the CSV's SHA-256, ``split`` and ``size`` are unchanged; any change
    of the CSV rebuilds it, and each ``size`` has its own cache files. Image files are not
    checked on reuse: delete the cache folder after replacing images. A build writes
    temporary files and renames them at the end, so an interrupted build is simply redone.

    Parameters
    ----------
    root : str or path-like
        AffectNet folder holding ``training.csv``, ``validation.csv`` (or the subfolder
        ``Manually_Annotated_file_lists/`` with them) and ``Manually_Annotated_Images/``.
    split : {"training", "validation"}, default="training"
        Which CSV to read.
    size : int, default=96
        Side of the square output images in pixels (96 in the paper).
    cache_dir : str, path-like or None, default=None
        Folder of the cache files ``affectnet_<split>_<size>.npy``, ``.labels.npz`` and
        ``.json`` (manifest). ``None`` uses ``<root>/.sk_prnet_cache``; pass a writable folder
        when ``root`` is read-only.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a row whose image is missing or cannot be decoded (or whose face box
        lies outside the image): ``"raise"`` stops with an error naming the file (missing
        files are detected before any decoding); ``"skip"`` leaves those rows out and warns
        how many were skipped and which. A cache built with skipped rows is reused by
        ``"skip"`` calls only; an ``on_error="raise"`` call rebuilds it.
    progress : bool, default=True
        Show a :mod:`tqdm` progress bar while building the cache.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        Dictionary-like object with the fields:

        images : numpy.memmap of shape (n, 3, size, size), uint8
            Read-only, channel-first RGB faces. Divide by 255 for the paper's [0, 1] range;
            index it (``bunch.images[batch]``) to read only what you need.
        y : ndarray of shape (n, 2), float32
            ``(arousal, valence)`` in [-1, 1].
        target_names : list of str
            ``["arousal", "valence"]``.
        expression : ndarray of shape (n,), int64
            Expression codes 0-10; see ``AFFECTNET_EXPRESSIONS`` (the paper does not use
            them).
        paths : ndarray of shape (n,), str
            ``subDirectory_filePath`` of each image, relative to ``Manually_Annotated_Images``.
        csv_row : ndarray of shape (n,), int64
            0-based data row of each image in the CSV (header excluded).
        skipped : list of (str, str)
            ``(subDirectory_filePath, reason)`` of the rows left out by ``on_error="skip"``.
        n_uncertain : int
            Number of rows dropped because valence or arousal is -2.
        split, size, filename, cache_path : str, int, str, str
            The split, output size, CSV path and cache ``.npy`` path.
        DESCR : str
            Description of the dataset and of the fields.

    Raises
    ------
    DatasetFormatError
        The CSV lacks columns, holds non-numeric values or out-of-range ratings, or (with
        ``on_error="raise"``) an image cannot be decoded. A subclass of ValueError.
    FileNotFoundError
        ``root``, the CSV or the images folder does not exist, or (with
        ``on_error="raise"``) an image file listed in the CSV is missing.
    ImportError
        Pillow is not installed and the cache has to be built (``pip install
        sk-prnet[images]``).

    See Also
    --------
    make_synthetic_affectnet : Write a synthetic AffectNet folder in the same format.

    Examples
    --------
    >>> from sk_prnet.datasets import load_affectnet  # doctest: +SKIP
    >>> data = load_affectnet("/data/AffectNet", split="validation")  # doctest: +SKIP
    >>> data.images.shape, data.images.dtype, data.y.shape  # doctest: +SKIP
    ((4000, 3, 96, 96), dtype('uint8'), (4000, 2))
    """
    size = _check_params(split, size, on_error)
    root, csv_path, images_dir = _find_files(root, split)
    paths = _cache_paths(_resolve_cache_dir(cache_dir, root), split, size)
    key = dict(cache_format=_CACHE_FORMAT, split=split, size=size, csv_sha256=_sha256(csv_path))
    cached = _valid_manifest(paths, key, on_error)
    if cached is None:
        table = _read_csv(csv_path)
        valence, arousal = table["valence"], table["arousal"]
        rows = np.flatnonzero((valence != AFFECTNET_UNCERTAIN) & (arousal != AFFECTNET_UNCERTAIN))
        if rows.size == 0:
            raise DatasetFormatError(
                f"{str(csv_path)!r} holds no row with valence and arousal in [-1, 1] "
                f"({valence.size} rows, all marked -2 or none at all)."
            )
        _build_cache(table, rows, images_dir, csv_path, paths, key, size, on_error, progress)
        cached = _valid_manifest(paths, key, on_error)
        if cached is None:  # pragma: no cover - e.g. another process replaced it meanwhile
            raise OSError(f"The AffectNet cache {str(paths['npy'])!r} changed while loading.")
    manifest, images, labels = cached
    skipped = [tuple(s) for s in manifest["skipped"]]
    _report_skipped(skipped, csv_path, split)
    return Bunch(
        images=images,
        y=labels["y"],
        target_names=["arousal", "valence"],
        expression=labels["expression"],
        paths=labels["paths"],
        csv_row=labels["csv_row"],
        skipped=skipped,
        n_uncertain=manifest["n_uncertain"],
        split=split,
        size=size,
        filename=str(csv_path),
        cache_path=str(paths["npy"]),
        DESCR=AFFECTNET_DESCR,
    )
