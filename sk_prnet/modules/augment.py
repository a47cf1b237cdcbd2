"""Per-sample random image augmentation applied to whole training batches on the device.

The Pairwise Ranking Network paper (Section IV-A) trains its image models on 96x96 faces
augmented by rotation (+/-30 degrees), zoom (+/-15 %), horizontal flipping and
brightness/contrast changes. :class:`BatchAugment` reproduces that recipe as a batch operation:
it takes a float batch ``(N, C, H, W)`` in ``[0, 1]`` -- on whatever device the model runs --
and returns a batch of the same shape, dtype and device in which *every sample* has its own
randomly drawn rotation, zoom, flip, brightness and contrast.

Why kornia (and not ``torchvision.transforms.v2``)
--------------------------------------------------
The work is delegated to :mod:`kornia.augmentation` (``ColorJitter``, ``RandomAffine``,
``RandomHorizontalFlip`` in an ``AugmentationSequential``), a maintained library built for
exactly this job:

* **per-sample parameters on a batched tensor** -- kornia draws one parameter set per sample
  (``same_on_batch=False``) and applies all of them in one batched warp. torchvision's
  randomized transforms, v1 and v2 alike, draw *one* parameter set per call and apply it to
  every image of a batched tensor ("Randomized transformations will apply the same
  transformation to all the images of a given batch", torchvision "Transforming and augmenting
  images" docs; per-sample batches are the open feature request pytorch/vision#2929), so
  per-sample augmentation with torchvision needs a Python loop over the batch;
* **on the device, no PIL round trips** -- the batch never leaves the GPU and is never converted
  to ``uint8`` / PIL images; the ops are differentiable torch code;
* **no extra binary** -- kornia is pure Python on top of torch (plus the small ``kornia-rs``
  wheel), whereas torchvision ships compiled operators that must match the exact torch build,
  which would fight the pinned torch version.

Conventions
-----------
* Rotation angles are in degrees and **positive = counter-clockwise as displayed** (image y axis
  pointing down), the convention of :func:`kornia.geometry.transform.rotate`,
  :class:`kornia.augmentation.RandomRotation` and ``torchvision.transforms.functional.rotate``.
  ``kornia.augmentation.RandomAffine`` itself is clockwise-positive (kornia issue #4408), so the
  range is negated before it is handed to kornia. For the paper's symmetric range the sign is
  immaterial.
* Zoom is an isotropic scale factor about the image centre: ``s > 1`` enlarges the content
  (zoom in), ``s < 1`` shrinks it; areas uncovered by the warp are filled according to
  ``padding_mode`` (zeros by default).
* Brightness and contrast follow torchvision/PIL semantics (kornia ``ColorJitter``):
  brightness multiplies the image by a factor ``b``, contrast blends it with its mean
  (``c * x + (1 - c) * mean``; the luma mean for 3-channel images, the plain mean otherwise).
  The two commute (up to clipping), so kornia's random order of the two does not matter. Both
  come before the geometric warp so the contrast statistics are those of the real image and
  the padding keeps its fill value.
* The output is clamped to ``[0, 1]``.

Randomness and reproducibility
------------------------------
All random numbers come from torch's global CPU generator (kornia samples its parameters with
``torch.distributions`` on the CPU; no numpy or Python :mod:`random`), so ``torch.manual_seed``
-- or the ``torch.random.fork_rng`` block an estimator seeds from its ``random_state`` -- makes
the augmentation reproducible, and the draws do not depend on the device of the batch (only
the warp itself runs there). Pass ``generator=`` to draw from an explicit
:class:`torch.Generator` instead, leaving the global state untouched.

Contract with the estimators
----------------------------
The estimators turn their ``augment`` parameter into a callable with :func:`make_augment`. The
callable is **called on each training batch (float, on the device, after /255 scaling); never
at predict time**, as ``batch = augment(batch)``. Any callable mapping such a batch to a batch
of the same shape can be used instead of :class:`BatchAugment`.

kornia is an optional dependency (``pip install sk-prnet[images]``); it is imported only when a
:class:`BatchAugment` is created, so importing :mod:`sk_prnet.modules` does not need it.
"""

import math
from numbers import Real

import torch
from torch import nn

__all__ = ["BatchAugment", "PAPER_AUGMENT", "make_augment"]

#: The paper's settings (Section IV-A). Rotation and zoom are the paper's numbers; the flip
#: probability and the brightness/contrast magnitudes are not given there and are the usual
#: choices (torchvision/Keras conventions).
PAPER_AUGMENT = {"rotation": 30.0, "zoom": 0.15, "hflip": 0.5, "brightness": 0.2, "contrast": 0.2}

_PADDING_MODES = ("zeros", "border", "reflection")
_INSTALL_HINT = (
    "image augmentation needs the optional dependency kornia; install it with "
    "`pip install sk-prnet[images]` (or `pip install kornia`)"
)


def _import_kornia_augmentation():
    """Import :mod:`kornia.augmentation`, or raise an ImportError naming the extra."""
    try:
        import kornia.augmentation as kaug
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return kaug


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _as_range(name, value, *, symmetric, lower=None, strict_lower=False):
    """Validate ``value`` (a magnitude or a ``(lo, hi)`` pair) and return the ``(lo, hi)`` range.

    ``symmetric(m)`` maps a scalar magnitude ``m >= 0`` to its range; ``lower`` bounds ``lo``
    of an explicit pair from below (strictly if ``strict_lower``).
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(_is_number(v) for v in value):
            raise ValueError(
                f"{name} must be a number or a (low, high) pair of numbers, got {value!r}"
            )
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise ValueError(f"{name}=(low, high) needs low <= high, got {value!r}")
        if lower is not None and (lo <= lower if strict_lower else lo < lower):
            op = ">" if strict_lower else ">="
            raise ValueError(f"{name}=(low, high) needs low {op} {lower}, got {value!r}")
        return lo, hi
    if not _is_number(value):
        raise ValueError(f"{name} must be a finite number or a (low, high) pair, got {value!r}")
    if value < 0:
        raise ValueError(
            f"{name} must be >= 0 (a magnitude; the range is symmetric), got {value!r}"
        )
    return symmetric(float(value))


def _zoom_range(z):
    if z >= 1:
        raise ValueError(
            f"zoom must be in [0, 1) (the scale is drawn from [1 - zoom, 1 + zoom]), got {z!r}"
        )
    return 1.0 - z, 1.0 + z


def _factor_range(m):
    return max(0.0, 1.0 - m), 1.0 + m


def _probability(name, value):
    if not _is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


class BatchAugment(nn.Module):
    """Random rotation, zoom, horizontal flip and brightness/contrast, drawn per sample.

    A thin, validated front end to a :mod:`kornia.augmentation` pipeline (see the module
    docstring for why kornia, the conventions and the reproducibility guarantees). The
    defaults are the paper's settings (:data:`PAPER_AUGMENT`).

    Parameters
    ----------
    rotation : float or (float, float), default=30.0
        Rotation angle in degrees, drawn uniformly from ``[-rotation, rotation]`` for a scalar
        ``rotation >= 0`` or from ``[low, high]`` for a pair. Positive angles rotate
        counter-clockwise as displayed. ``0`` disables rotation.
    zoom : float or (float, float), default=0.15
        Isotropic scale factor, drawn uniformly from ``[1 - zoom, 1 + zoom]`` for a scalar
        ``0 <= zoom < 1`` or from ``[low, high]`` (``0 < low <= high``) for a pair. Factors
        above 1 enlarge the content. ``0`` disables zooming.
    hflip : float, default=0.5
        Probability of flipping a sample left-right.
    brightness : float or (float, float), default=0.2
        Brightness factor drawn from ``[max(0, 1 - brightness), 1 + brightness]`` (or from
        ``[low, high]``, ``0 <= low <= high``); the image is multiplied by it. ``0`` disables.
    contrast : float or (float, float), default=0.2
        Contrast factor drawn like ``brightness``; the image is blended with its mean.
        ``0`` disables.
    p : float, default=1.0
        Probability that a sample is augmented at all; the others pass through unchanged.
    padding_mode : {"zeros", "border", "reflection"}, default="zeros"
        How the pixels uncovered by rotation / zoom-out are filled.

    Raises
    ------
    ValueError
        If a parameter is out of range (negative magnitude, ``zoom >= 1``, a probability
        outside ``[0, 1]``, a ``(low, high)`` pair with ``low > high``, ...).
    ImportError
        If kornia is not installed (``pip install sk-prnet[images]``).

    Notes
    -----
    The module has no parameters or buffers; moving it with ``.to(device)`` is a no-op. The
    random parameters are always drawn on the CPU (reproducible across devices) and the
    transformation runs on the device of the input batch. The module augments whenever it is
    called, in ``train()`` and ``eval()`` mode alike: the caller decides when (the estimators
    call it on training batches only).

    Examples
    --------
    >>> import torch
    >>> aug = BatchAugment(rotation=30, zoom=0.15, hflip=0.5)
    >>> _ = torch.manual_seed(0)
    >>> aug(torch.rand(8, 1, 96, 96)).shape
    torch.Size([8, 1, 96, 96])
    """

    def __init__(
        self,
        rotation=30.0,
        zoom=0.15,
        hflip=0.5,
        brightness=0.2,
        contrast=0.2,
        p=1.0,
        padding_mode="zeros",
    ):
        super().__init__()
        self.rotation = rotation
        self.zoom = zoom
        self.hflip = hflip
        self.brightness = brightness
        self.contrast = contrast
        self.p = p
        self.padding_mode = padding_mode
        self._rotation_range = _as_range("rotation", rotation, symmetric=lambda m: (-m, m))
        self._zoom_range = _as_range(
            "zoom", zoom, symmetric=_zoom_range, lower=0.0, strict_lower=True
        )
        self._brightness_range = _as_range(
            "brightness", brightness, symmetric=_factor_range, lower=0.0
        )
        self._contrast_range = _as_range("contrast", contrast, symmetric=_factor_range, lower=0.0)
        self._hflip = _probability("hflip", hflip)
        self._p = _probability("p", p)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        # Built eagerly so a missing kornia fails at construction (not in the middle of fit).
        self._set_pipeline(self._build_pipeline())
        self._built = True

    # -- pipeline ---------------------------------------------------------------------------
    @property
    def is_identity(self):
        """bool : True when the settings can never change an image."""
        return self._p == 0.0 or (
            self._rotation_range == (0.0, 0.0)
            and self._zoom_range == (1.0, 1.0)
            and self._hflip == 0.0
            and self._brightness_range == (1.0, 1.0)
            and self._contrast_range == (1.0, 1.0)
        )

    def _build_pipeline(self):
        """The kornia pipeline for the active operations, or None for the identity."""
        kaug = _import_kornia_augmentation()
        if self.is_identity:
            return None
        ops = []
        if self._brightness_range != (1.0, 1.0) or self._contrast_range != (1.0, 1.0):
            ops.append(
                kaug.ColorJitter(
                    brightness=self._brightness_range,
                    contrast=self._contrast_range,
                    p=1.0,
                )
            )
        if self._rotation_range != (0.0, 0.0) or self._zoom_range != (1.0, 1.0):
            lo, hi = self._rotation_range
            ops.append(
                kaug.RandomAffine(
                    degrees=(-hi, -lo),  # RandomAffine is clockwise-positive; ours is CCW
                    scale=self._zoom_range,
                    padding_mode=self.padding_mode,
                    p=1.0,  # kornia's default is 0.5
                )
            )
        if self._hflip > 0:
            ops.append(kaug.RandomHorizontalFlip(p=self._hflip))
        return kaug.AugmentationSequential(*ops, data_keys=["input"])

    def _set_pipeline(self, pipeline):
        # Kept out of ``self._modules`` on purpose: ``.to(device)`` would otherwise move
        # kornia's samplers and make the draws device dependent.
        object.__setattr__(self, "_pipeline", pipeline)

    def __getstate__(self):
        # Pickles (and deep copies) carry the settings only; the pipeline is rebuilt on use.
        state = super().__getstate__().copy()
        state["_pipeline"] = None
        state["_built"] = False
        return state

    def _get_pipeline(self):
        if not self._built:
            self._set_pipeline(self._build_pipeline())
            self._built = True
        return self._pipeline

    # -- forward ----------------------------------------------------------------------------
    def forward(self, batch, generator=None):
        """Augment a batch.

        Parameters
        ----------
        batch : torch.Tensor of shape (N, C, H, W)
            Floating-point images in ``[0, 1]``, on any device.
        generator : torch.Generator or None, default=None
            Source of randomness. ``None`` uses torch's global CPU generator (seed it with
            ``torch.manual_seed``); a generator is consumed for one seed and the global state
            is left untouched.

        Returns
        -------
        torch.Tensor of shape (N, C, H, W)
            The augmented batch, same dtype and device, clamped to ``[0, 1]``. With identity
            settings the input tensor itself is returned.
        """
        if not isinstance(batch, torch.Tensor) or batch.ndim != 4:
            shape = getattr(batch, "shape", None)
            raise ValueError(f"BatchAugment expects a (N, C, H, W) tensor, got shape {shape}")
        if not batch.is_floating_point():
            raise TypeError(
                f"BatchAugment expects a floating-point batch in [0, 1] (divide uint8 images "
                f"by 255 first), got dtype {batch.dtype}"
            )
        pipeline = self._get_pipeline()
        if pipeline is None or batch.shape[0] == 0:
            return batch
        if generator is None:
            return self._augment(pipeline, batch)
        seed = int(torch.randint(2**62, (1,), generator=generator, device=generator.device))
        with torch.random.fork_rng(devices=[]):  # kornia samples on the CPU only
            torch.random.default_generator.manual_seed(seed)
            return self._augment(pipeline, batch)

    def _augment(self, pipeline, batch):
        out = pipeline(batch).clamp(0.0, 1.0)
        if self._p < 1.0:
            keep = torch.rand(batch.shape[0]) >= self._p  # True -> sample left unchanged
            keep = keep.to(batch.device).view(-1, 1, 1, 1)
            out = torch.where(keep, batch, out)
        return out

    def __repr__(self):
        return (
            f"{type(self).__name__}(rotation={self.rotation!r}, zoom={self.zoom!r}, "
            f"hflip={self.hflip!r}, brightness={self.brightness!r}, "
            f"contrast={self.contrast!r}, p={self.p!r}, padding_mode={self.padding_mode!r})"
        )


def make_augment(spec):
    """Turn an estimator's ``augment`` parameter into a batch callable (or None).

    Parameters
    ----------
    spec : None, bool, "paper", dict or callable
        * ``None`` or ``False`` -- no augmentation (returns ``None``);
        * ``True`` or ``"paper"`` -- the paper's settings, ``BatchAugment(**PAPER_AUGMENT)``;
        * a dict -- ``BatchAugment(**spec)``;
        * a callable (e.g. a :class:`BatchAugment` or any ``nn.Module``) -- returned as is.

    Returns
    -------
    callable or None
        ``augment(batch) -> batch``. It is **called on each training batch (float, on the
        device, after /255 scaling); never at predict time**. It must return a tensor of the
        same shape and should draw its randomness from torch's global generator so that the
        estimator's ``random_state`` makes training reproducible.

    Raises
    ------
    ValueError
        For an unknown string.
    TypeError
        For any other type.
    """
    if spec is None or spec is False:
        return None
    if spec is True:
        return BatchAugment(**PAPER_AUGMENT)
    if isinstance(spec, str):
        if spec == "paper":
            return BatchAugment(**PAPER_AUGMENT)
        raise ValueError(
            f"augment={spec!r} is not a known preset; use 'paper', a dict or a callable"
        )
    if isinstance(spec, dict):
        return BatchAugment(**spec)
    if callable(spec):
        return spec
    raise TypeError(
        f"augment must be None, a bool, 'paper', a dict of BatchAugment settings or a callable, "
        f"got {type(spec).__name__}"
    )
