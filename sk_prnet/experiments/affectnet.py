"""Paper Tables VI-IX on AffectNet: VGG PRNet regression of arousal and valence.

One unit is one (setting, cut-off): train ``PRNetRegressor(module="vgg", ...)`` on the
training split (optionally only on samples with ``|y| <= c`` in every target, Table IX) and
evaluate RMSE, PCC and CCC per target on the whole validation split. The images come from
:func:`sk_prnet.datasets.load_affectnet`'s uint8 memmap cache and are read batch by batch.
"""

import numpy as np

from .units import ExperimentError, _data_settings, _settings, _unit, unit_seed

__all__ = ["AffectNetExperiment", "RANKNET"]

#: ``model`` of the RankNet units (:class:`sk_prnet.RankNetRegressor` with ``module="vgg"``).
RANKNET = "RankNet (VGG)"


class AffectNetExperiment:
    """Paper Tables VI (baseline vs PRNet), VII (alpha), VIII (epsilon), IX (cut-off).

    Parameters
    ----------
    data_dir : str or Path
        AffectNet's root (``training.csv``, ``validation.csv``, ``Manually_Annotated_Images/``).
    settings : list of (alpha, epsilon)
        Model settings (see :func:`sk_prnet.experiments.sweep_settings`).
    cutoffs : list of (float or None) or None, default=None
        Label-space cut-offs ``c`` (train on ``|arousal|, |valence| <= c``); ``None`` in the
        list is the full training set; ``None``: no cut-off experiment.
    seed : int, default=0
    max_steps : int, default=50000
        Training steps (the paper: 50K steps of batch 128).
    size : int, default=96
        Image size of the cache.
    batch_size : int, default=128
    augment : str, dict or None, default="paper"
        Training augmentation (see :func:`sk_prnet.modules.make_augment`).
    cache_dir : str or Path or None, default=None
        Passed to :func:`sk_prnet.datasets.load_affectnet`.
    name : str, default="affectnet"
        Experiment name in the store.
    ranknet : bool, default=False
        Also train ``RankNetRegressor(module="vgg")`` (its default score head, same steps,
        batch, augmentation and weight decay) once per cut-off: the paper's RankNet
        comparison. Its scores have no scale, so only PCC is recorded for it (as in the
        paper); the report shows its row beside PRNet's with ``n/a`` for RMSE and CCC.

    Notes
    -----
    With a cut-off the kept training images are copied out of the memmap (fancy indexing);
    the full training set is used in place.
    """

    dataset = "affectnet"
    kind = "regression"

    def __init__(
        self, data_dir, settings=((0.0, None), (1.0, 0.15)), cutoffs=None, seed=0,
        max_steps=50_000, size=96, batch_size=128, augment="paper", cache_dir=None,
        name="affectnet", ranknet=False,
    ):  # fmt: skip
        self.data_dir = data_dir
        self.settings = list(settings)
        self.cutoffs = cutoffs
        self.seed = int(seed)
        self.max_steps = int(max_steps)
        self.size = int(size)
        self.batch_size = int(batch_size)
        self.augment = augment
        self.cache_dir = cache_dir
        self.name = name
        self.ranknet = bool(ranknet)
        self._data = None

    def _params(self, cutoff):
        params = _settings(max_steps=self.max_steps, size=self.size, batch_size=self.batch_size,
                           augment=self.augment, **self._data_settings)  # fmt: skip
        return params if cutoff is False else dict(params, cutoff=cutoff)

    def plan(self):
        """Check the data and options (building the image caches); return the planned units."""
        for c in self.cutoffs or ():
            if c is not None and not c > 0:
                raise ExperimentError(f"Cut-offs must be positive (or 'full'), got {c}.")
        self._load()
        self._data_settings = _data_settings("affectnet", self.data_dir)
        units = []
        for cutoff in self.cutoffs if self.cutoffs is not None else [False]:
            params = self._params(cutoff)
            units += [_unit(self.name, self.dataset, s, self.seed, params, fold=0)
                      for s in self.settings]  # fmt: skip
            if self.ranknet:  # no alpha, its own default epsilon: a model of its own
                unit = _unit(self.name, self.dataset, (None, None), self.seed, params, fold=0)
                units.append(dict(unit, model=RANKNET))
        return units

    def _load(self):
        if self._data is None:
            from ..datasets import load_affectnet

            try:
                train, valid = (
                    load_affectnet(self.data_dir, split, size=self.size,
                                   cache_dir=self.cache_dir, progress=False)
                    for split in ("training", "validation")
                )  # fmt: skip
            except (FileNotFoundError, ValueError, ImportError) as exc:
                raise ExperimentError(str(exc)) from exc
            self._data = (train, valid)
        return self._data

    def task(self, unit):
        """The arguments of :func:`sk_prnet.experiments.execute.run_unit` for ``unit``."""
        train, valid = self._load()
        keep = np.arange(len(train.y))
        cutoff = unit["params"].get("cutoff")
        if cutoff is not None:
            keep = keep[np.all(np.abs(train.y) <= cutoff, axis=1)]
        X_train = train.images if cutoff is None else train.images[keep]
        spec = dict(
            self.model_spec(), model="ranknet" if unit["model"] == RANKNET else "prnet",
            alpha=unit["alpha"], epsilon=unit["epsilon"], targets=list(train.target_names),
            random_state=unit_seed(self.seed, fold=unit["fold"]),
        )  # fmt: skip
        return spec, (X_train, valid.images), (train.y[keep], valid.y), None, None, None

    def model_spec(self):
        """What :func:`sk_prnet.experiments.execute.run_unit` builds for a PRNet unit, without
        the data and with placeholders for what varies between units (alpha, epsilon, seed)."""
        return dict(kind="images", model="prnet", alpha=1.0, epsilon=None, max_epochs=None,
                    max_steps=self.max_steps, batch_size=self.batch_size, augment=self.augment,
                    targets=["arousal", "valence"], random_state=0)  # fmt: skip
