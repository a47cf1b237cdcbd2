"""Synthetic stand-in for AffectNet, written in the published file layout.

AffectNet is licensed and cannot be downloaded by the package or its tests.
:func:`make_synthetic_affectnet` writes real JPEG files and the two CSVs exactly where and how
:func:`sk_prnet.datasets.load_affectnet` expects them, with cartoon faces whose features follow
the valence and arousal labels: a learnable task in which cropping the face box matters. It is
*not* a model of real faces. Pillow (``pip install sk-prnet[images]``) is imported lazily.
"""

import numbers
from pathlib import Path

import numpy as np
import pandas as pd

from ._base import seed_sequences
from .affectnet import _IMAGES_DIR, AFFECTNET_COLUMNS, _import_pil

__all__ = ["make_synthetic_affectnet"]

# 68-point landmark template (iBUG layout) in face-box units, before the label-driven moves.
_T = np.linspace(0.0, np.pi, 17)
_JAW = np.column_stack([0.5 - 0.45 * np.cos(_T), 0.45 + 0.5 * np.sin(_T)])
_NOSE = np.array(
    [[0.5, 0.42], [0.5, 0.48], [0.5, 0.54], [0.5, 0.6]]
    + [[0.42 + 0.04 * i, 0.63 - 0.01 * (2 - abs(i - 2))] for i in range(5)]
)


def _eye_ring(cx, cy, half_w, half_h):
    """Six points around an eye (outer corner, two upper, inner corner, two lower)."""
    a = np.array([np.pi, 2 * np.pi / 3, np.pi / 3, 0.0, -np.pi / 3, -2 * np.pi / 3])
    return np.column_stack([cx + half_w * np.cos(a), cy - half_h * np.sin(a)])


def _face_geometry(valence, arousal, jitter):
    """Feature geometry, in face-box units, for drawn valence and arousal in [-1, 1].

    Arousal opens the eyes and raises the brows (and opens the mouth when positive);
    valence bends the mouth (smile > 0, frown < 0) and tilts the brows' inner ends.
    """
    a01 = (arousal + 1.0) / 2.0
    eye_y = 0.40 + jitter[0]
    eye_dx = 0.18 + jitter[1]
    eye_hw = 0.08
    eye_hh = 0.008 + 0.035 * a01
    brow_y = eye_y - (0.05 + 0.08 * a01)
    brow_tilt = -0.035 * valence  # > 0 lowers the inner ends (frown)
    mouth_y = 0.74 + jitter[2]
    mouth_hw = 0.17 + jitter[3]
    curve = 0.09 * valence  # centre lower than the corners when smiling
    opening = 0.06 * max(arousal, 0.0)
    return dict(
        eyes=[(0.5 - eye_dx, eye_y), (0.5 + eye_dx, eye_y)],
        eye_hw=eye_hw,
        eye_hh=eye_hh,
        brow_y=brow_y,
        brow_tilt=brow_tilt,
        mouth=(0.5, mouth_y),
        mouth_hw=mouth_hw,
        curve=curve,
        opening=opening,
    )


def _mouth_curves(g, n=11):
    t = np.linspace(-1.0, 1.0, n)
    cx, cy = g["mouth"]
    x = cx + t * g["mouth_hw"]
    upper = cy - g["curve"] / 2 + g["curve"] * (1 - t**2)
    lower = upper + g["opening"] * (1 - t**2)
    return x, upper, lower


def _landmarks(g):
    """68 landmarks (face-box units) consistent with the drawn geometry."""
    brows = []
    for side, (ex, _) in zip((-1, 1), g["eyes"]):
        xs = ex + np.linspace(-0.09, 0.09, 5)
        inner = (xs - ex) * -side / 0.09  # -1 outer ... 1 inner
        brows.append(np.column_stack([xs, g["brow_y"] + g["brow_tilt"] * (inner + 1) / 2]))
    eyes = [_eye_ring(ex, ey, g["eye_hw"], g["eye_hh"]) for ex, ey in g["eyes"]]
    x, upper, lower = _mouth_curves(g, n=7)
    outer = np.column_stack([np.r_[x, x[-2:0:-1]], np.r_[upper - 0.015, lower[-2:0:-1] + 0.015]])
    inner = np.column_stack([np.r_[x[1:6], x[4:1:-1]], np.r_[upper[1:6], lower[4:1:-1]]])
    return np.vstack([_JAW, brows[0], brows[1], _NOSE, eyes[0], eyes[1], outer, inner])


def _draw_clutter(draw, rng, width, height, n_shapes):
    for _ in range(n_shapes):
        x0, x1 = np.sort(rng.uniform(-0.2, 1.2, 2) * width)
        y0, y1 = np.sort(rng.uniform(-0.2, 1.2, 2) * height)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = rng.integers(3)
        if kind == 0:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        elif kind == 1:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.line([x0, y0, x1, y1], fill=colour, width=int(rng.integers(1, 5)))


def _draw_face(draw, box, g, skin, rng):
    """Draw the face ellipse and the features of geometry ``g`` inside ``box``."""
    x, y, w, h = box

    def px(u, v):
        return x + u * w, y + v * h

    draw.ellipse([*px(0.05, 0.02), *px(0.95, 0.98)], fill=skin, outline=(60, 40, 30))
    dark = tuple(int(c) for c in rng.integers(10, 70, 3))
    stroke = max(1, int(round(0.025 * h)))
    for ex, ey in g["eyes"]:  # whites, iris, brows
        draw.ellipse(
            [*px(ex - g["eye_hw"], ey - g["eye_hh"]), *px(ex + g["eye_hw"], ey + g["eye_hh"])],
            fill=(245, 245, 245),
            outline=dark,
        )
        r = min(g["eye_hh"], 0.035)
        draw.ellipse([*px(ex - r * h / w, ey - r), *px(ex + r * h / w, ey + r)], fill=dark)
    for side, (ex, _) in zip((-1, 1), g["eyes"]):
        outer_x, inner_x = ex + 0.09 * side, ex - 0.09 * side
        inner_y = g["brow_y"] + g["brow_tilt"]
        draw.line([*px(outer_x, g["brow_y"]), *px(inner_x, inner_y)], fill=dark, width=stroke)
    draw.line([*px(0.5, 0.45), *px(0.46, 0.61), *px(0.54, 0.61)], fill=(120, 80, 70), width=1)
    mx, upper, lower = _mouth_curves(g)
    top = [px(u, v) for u, v in zip(mx, upper)]
    if g["opening"] * h >= 1.5:
        bottom = [px(u, v) for u, v in zip(mx[::-1], lower[::-1])]
        draw.polygon(top + bottom, fill=(90, 20, 30), outline=(150, 40, 50))
    else:
        draw.line(top, fill=(150, 40, 50), width=stroke, joint="curve")


def _expressions(valence, arousal, rng):
    """Expression codes 0-8 roughly consistent with (valence, arousal)."""
    u = rng.random(valence.size)
    neg, pos = valence < -0.3, valence > 0.3
    conditions = [
        neg & (arousal > 0.55) & (u < 0.5),
        neg & (arousal >= 0.2),
        neg & (u < 0.2),
        neg,
        pos,
        arousal > 0.55,
        u < 0.1,
        u < 0.2,
    ]
    return np.select(conditions, [4, 6, 5, 2, 1, 3, 7, 8], default=0).astype(np.int64)


def _write_split(directory, n, image_size, rng, uncertain_fraction, noise, quality, names):
    Image = _import_pil()
    from PIL import ImageDraw

    width, height = image_size
    valence = np.round(2 * rng.beta(1.3, 1.3, n) - 1, 6)
    arousal = np.round(2 * rng.beta(1.6, 1.2, n) - 1, 6)
    expression = _expressions(valence, arousal, rng)
    uncertain = rng.random(n) < uncertain_fraction
    expression[uncertain] = rng.choice([9, 10], size=int(uncertain.sum()))
    records = []
    n_dirs = max(1, (n + 99) // 100)
    for i in range(n):
        subdir = str(int(rng.integers(1, n_dirs + 1)))
        name = rng.bytes(20).hex()
        while name in names:  # pragma: no cover - 160-bit collision
            name = rng.bytes(20).hex()
        names.add(name)
        rel = f"{subdir}/{name}.jpg"
        bg = tuple(int(c) for c in rng.integers(0, 256, 3))
        img = Image.new("RGB", (width, height), bg)
        draw = ImageDraw.Draw(img)
        _draw_clutter(draw, rng, width, height, int(rng.integers(4, 12)))
        side = rng.uniform(0.4, 0.7) * min(width, height)
        w, h = side, min(side * rng.uniform(1.05, 1.25), 0.95 * height)
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
        box = (int(x), int(y), int(w), int(h))
        if uncertain[i]:  # -2 rows: a face with random features, or no face at all
            v_draw, a_draw = rng.uniform(-1, 1, 2)
            valence[i] = arousal[i] = -2.0
        else:  # the drawing follows the label, plus some "annotator" noise
            v_draw, a_draw = np.clip([valence[i], arousal[i]] + rng.normal(0, 0.1, 2), -1, 1)
        g = _face_geometry(v_draw, a_draw, rng.uniform(-0.015, 0.015, 4))
        if expression[i] != 10:
            tone = rng.uniform() * np.array([155.0, 155.0, 145.0]) + [95, 60, 40]
            skin = tuple(int(c) for c in np.clip(tone + rng.normal(0, 12, 3), 0, 255))
            _draw_face(draw, box, g, skin, rng)
        pixels = rng.standard_normal((height, width, 3), dtype=np.float32)
        pixels *= noise
        pixels += np.asarray(img)
        out = directory / _IMAGES_DIR / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
            out, format="JPEG", quality=quality
        )
        marks = _landmarks(g) * [box[2], box[3]] + [box[0], box[1]]
        records.append(
            (rel, *box, ";".join(f"{v:.2f}" for v in marks.ravel()), int(expression[i]))
        )
    df = pd.DataFrame(records, columns=list(AFFECTNET_COLUMNS[:7]))
    df["valence"], df["arousal"] = valence, arousal
    return df


def _check_size(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def make_synthetic_affectnet(
    directory,
    n=200,
    n_validation=50,
    image_size=(160, 160),
    random_state=None,
    uncertain_fraction=0.05,
    *,
    noise=8.0,
    jpeg_quality=90,
):
    """Write a synthetic AffectNet folder: JPEG faces and ``training.csv``/``validation.csv``.

    The layout is AffectNet's: ``<directory>/training.csv`` and ``validation.csv`` with the
    columns ``subDirectory_filePath, face_x, face_y, face_width, face_height,
    facial_landmarks, expression, valence, arousal`` (68 landmarks as 136 semicolon-separated
    numbers, expression codes 0-10), and the images under
    ``<directory>/Manually_Annotated_Images/<subdir>/<40 hex digits>.jpg``.

    Generative model, per image (independent draws):

    * **Labels.** valence ``2 * Beta(1.3, 1.3) - 1`` and arousal ``2 * Beta(1.6, 1.2) - 1``
      (skewed to positive, as in AffectNet), continuous in [-1, 1], rounded to 6 decimals;
      an expression code (0-8) consistent with the quadrant (e.g. happy when valence > 0.3).
    * **Uncertain rows.** A fraction ``uncertain_fraction`` get valence = arousal = -2 and
      expression 9 (uncertain: a face with random features) or 10 (non-face: no face drawn).
    * **Image.** A random background colour with 4-11 random rectangles, ellipses and lines
      (clutter), then a face ellipse of random skin tone filling a random face box (width
      40-70 % of the shorter image side, height 1.05-1.25 times the width, anywhere inside
      the image), then Gaussian pixel noise (``noise``) and JPEG compression.
    * **Features follow the labels** (with N(0, 0.1) "annotator" noise on the drawn values):
      the mouth is an arc whose curvature is proportional to valence (smile for positive,
      frown for negative) and which opens with positive arousal; eye opening and brow height
      grow with arousal; the brows' inner ends tilt down for negative valence. Feature
      positions jitter by ±1.5 % of the box.

    Parameters
    ----------
    directory : str or path-like
        Output folder, created if needed; existing files of the same names are overwritten.
    n : int, default=200
        Rows of ``training.csv`` (including the uncertain ones).
    n_validation : int, default=50
        Rows of ``validation.csv``.
    image_size : int or (int, int), default=(160, 160)
        ``(width, height)`` of every image (at least 32 each); an int gives square images.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seed; the output is deterministic given it (and the Pillow version). The training
        split does not depend on ``n_validation``.
    uncertain_fraction : float, default=0.05
        Expected fraction of rows marked -2 (uncertain / no face), in [0, 1].
    noise : float, default=8.0
        Standard deviation of the Gaussian pixel noise (0-255 scale).
    jpeg_quality : int, default=90
        JPEG quality (1-95).

    Returns
    -------
    directory : pathlib.Path
        The folder written, ready for :func:`load_affectnet`.

    Examples
    --------
    >>> import tempfile
    >>> from sk_prnet.datasets import load_affectnet, make_synthetic_affectnet
    >>> root = make_synthetic_affectnet(tempfile.mkdtemp(), n=12, n_validation=4,
    ...                                 image_size=64, random_state=0)
    >>> data = load_affectnet(root, size=32, progress=False)
    >>> data.images.shape[1:], data.images.dtype, data.target_names
    ((3, 32, 32), dtype('uint8'), ['arousal', 'valence'])
    """
    n = _check_size(n, "n")
    n_validation = _check_size(n_validation, "n_validation")
    if isinstance(image_size, numbers.Integral):
        image_size = (image_size, image_size)
    image_size = tuple(image_size)
    if len(image_size) != 2:
        raise ValueError(f"image_size must be an int or (width, height), got {image_size!r}.")
    image_size = tuple(_check_size(s, "image_size", minimum=32) for s in image_size)
    if not 0.0 <= uncertain_fraction <= 1.0:
        raise ValueError(f"uncertain_fraction must be in [0, 1], got {uncertain_fraction!r}.")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    quality = _check_size(jpeg_quality, "jpeg_quality", minimum=1)
    _import_pil()  # fail before writing anything
    root = Path(directory).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    names = set()
    seeds = seed_sequences(random_state, 2)
    for split, count, seed in (("training", n, seeds[0]), ("validation", n_validation, seeds[1])):
        rng = np.random.default_rng(seed)
        df = _write_split(root, count, image_size, rng, uncertain_fraction, noise, quality, names)
        df.to_csv(root / f"{split}.csv", index=False)
    return root
