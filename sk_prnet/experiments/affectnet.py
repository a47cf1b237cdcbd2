"""Paper Tables VI-IX on AffectNet: VGG PRNet regression of arousal and valence.

One unit is one (setting, cut-off): train ``PRNetRegressor(module="vgg", ...)`` on the
training split (optionally only on samples with ``|y| <= c`` in every target, Table IX) and
evaluate RMSE, PCC and CCC per target on the whole validation split. The images come from
:func:`sk_prnet.datasets.load_affectnet`'s uint8 memmap cache and are read batch by batch.
"""

import numpy as np

from . import options
from .protocol import Experiment, ExperimentError, FitTask
from .registry import register
from .units import (
    REGRESSION_METRICS,
    data_settings,
    make_unit,
    net_params,
    run_settings,
    sweep_settings,
    unit_seed,
)

__all__ = ["AffectNetExperiment", "RANKNET"]

#: ``model`` of the RankNet units (:class:`sk_prnet.RankNetRegressor` with ``module="vgg"``).
RANKNET = "RankNet (VGG)"


@register
class AffectNetExperiment(Experiment):
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

    name = "affectnet"
    dataset = "affectnet"
    title = "Table VI shape: AffectNet validation set (RMSE, PCC, CCC)"
    help = "AffectNet VGG regression (paper Tables VI-IX shapes)"
    #: The files it reads, relative to ``data_dir`` (fingerprinted into the units).
    data_files = ("*.csv", "Manually_Annotated_file_lists/*.csv")

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

    @classmethod
    def add_arguments(cls, parser):
        """``--data-dir``, the model options, ``--cutoff``, training and cache options and
        ``--ranknet``.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The ``sk-prnet run NAME`` sub-parser.
        """
        options.add_model_options(parser, alpha=(0.0, 1.0), epsilon=(0.15,))
        parser.add_argument("--data-dir", required=True, help="AffectNet root folder")
        parser.add_argument(
            "--cutoff", type=options.cutoff, nargs="+", default=None,
            help="label-space cut-offs c (Table IX), or 'full'",
        )  # fmt: skip
        parser.add_argument("--max-steps", type=int, default=50_000, help="training steps")
        parser.add_argument("--size", type=int, default=96, help="image size (pixels)")
        parser.add_argument("--batch-size", type=int, default=128, help="images a step")
        parser.add_argument("--no-augment", action="store_true",
                            help="no training augmentation")  # fmt: skip
        parser.add_argument("--cache-dir", default=None, help="where the image cache is kept")
        parser.add_argument(
            "--ranknet", action="store_true",
            help="also train RankNetRegressor(module='vgg') (reported with PCC: its scores "
            "have no scale)",
        )  # fmt: skip

    @classmethod
    def from_args(cls, args):
        """Every (alpha, epsilon) pair, at each ``--cutoff`` if any.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command-line options.
        """
        return cls(
            args.data_dir, sweep_settings(args.alpha, args.epsilon, grid=True),
            cutoffs=None if args.cutoff is None else list(args.cutoff), seed=args.seed,
            max_steps=args.max_steps, size=args.size, batch_size=args.batch_size,
            augment=None if args.no_augment else "paper", cache_dir=args.cache_dir,
            ranknet=args.ranknet,
        )  # fmt: skip

    def _params(self, cutoff):
        params = run_settings(max_steps=self.max_steps, size=self.size, batch_size=self.batch_size,
                           augment=self.augment, **self._data_settings)  # fmt: skip
        return params if cutoff is False else dict(params, cutoff=cutoff)

    def plan(self):
        """Check the data and options (building the image caches); return the planned units."""
        for c in self.cutoffs or ():
            if c is not None and not c > 0:
                raise ExperimentError(f"Cut-offs must be positive (or 'full'), got {c}.")
        self._load()
        self._data_settings = data_settings(self.data_dir, self.data_files)
        units = []
        for cutoff in self.cutoffs if self.cutoffs is not None else [False]:
            params = self._params(cutoff)
            units += [make_unit(self.name, self.dataset, s, self.seed, params, fold=0)
                      for s in self.settings]  # fmt: skip
            if self.ranknet:  # no alpha, its own default epsilon: a model of its own
                unit = make_unit(self.name, self.dataset, (None, None), self.seed, params, fold=0)
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

    def estimator(self, alpha=1.0, epsilon=None, random_state=0, ranknet=False):
        """A unit's VGG network: ``PRNetRegressor`` (paper Section IV-A: FC 256 heads, SGD,
        weight decay 1e-4) or, with ``ranknet``, ``RankNetRegressor`` (Section IV-C).

        Parameters
        ----------
        alpha : float, default=1.0
            Weight of the ranking loss (0: the baseline).
        epsilon : float or None, default=None
            Rank tolerance (``None``: the network's default).
        random_state : int, default=0
        ranknet : bool, default=False

        Returns
        -------
        estimator : PRNetRegressor or RankNetRegressor
        """
        from ..estimators import PRNetRegressor, RankNetRegressor
        from ..pipelines import PAPER_MAX_EPOCHS

        # max_steps decides the length; max_epochs is pinned so that the estimator's
        # fingerprint (part of the unit key) does not follow the estimators' default
        common = dict(module="vgg", weight_decay=1e-4, max_steps=self.max_steps,
                      max_epochs=PAPER_MAX_EPOCHS, batch_size=self.batch_size,
                      augment=self.augment)  # fmt: skip
        if ranknet:
            return RankNetRegressor(**common, random_state=random_state, device="cpu")
        return PRNetRegressor(module__task_hidden=256, module__ranking_hidden=256, **common,
                              **net_params(alpha, epsilon, random_state))  # fmt: skip


    def task(self, unit):
        """Fit on the training split (below the cut-off), test on the validation split.

        Parameters
        ----------
        unit : dict
            One unit of :meth:`plan`.

        Returns
        -------
        task : FitTask
            The images are the cache's memmaps (read batch by batch), copied only for a
            cut-off.
        """
        train, valid = self._load()
        keep = np.arange(len(train.y))
        cutoff = unit["params"].get("cutoff")
        if cutoff is not None:
            keep = keep[np.all(np.abs(train.y) <= cutoff, axis=1)]
        X_train = train.images if cutoff is None else train.images[keep]
        ranknet = unit["model"] == RANKNET
        model = self.estimator(unit["alpha"], unit["epsilon"],
                               unit_seed(self.seed, fold=unit["fold"]), ranknet=ranknet)
        return FitTask(
            unit, model, X_train, train.y[keep], valid.images, valid.y,
            targets=list(train.target_names),
            metrics=("pcc",) if ranknet else REGRESSION_METRICS,  # RankNet: no scale
            images=True,
        )  # fmt: skip
