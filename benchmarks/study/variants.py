"""The issue-16 hypotheses as ``PRNetRegressor`` parameters (package options).

They were prototyped here as subclasses of :class:`sk_prnet.PRNetRegressor` for the
exploration (results in ``benchmarks/study/results/``, measured with those prototypes) and
are now options of the package's estimators; this module names the settings the study
uses (docs/when_ranking_helps.md, "Options"):

========================  ===========================================================
prototype                 package option
========================  ===========================================================
``SoftLabelPRNet(tau)``   ``rank_labels="soft", rank_softness=tau``
``BalancedPRNet``         ``alpha_schedule="warmup", alpha_warmup_epochs=10`` or
                          ``alpha_schedule="ratio"``
``RankBlendPRNet``        ``rank_blend`` (and ``rank_reference=1000``), read at predict
                          time: one fit with ``rank_blend > 0`` serves every blend
``TaskValidationPRNet``   ``EarlyStopping(monitor="valid_task_loss")``: with
                          ``train_split`` the estimators record the task loss alone
========================  ===========================================================
"""

__all__ = ["OPTIONS", "BLEND_FIT", "TASK_MONITOR"]

#: Study configuration suffix -> the estimator parameters of that hypothesis.
OPTIONS = {
    "soft0.1": dict(rank_labels="soft", rank_softness=0.1),
    "soft0.3": dict(rank_labels="soft", rank_softness=0.3),
    "warmup": dict(alpha_schedule="warmup", alpha_warmup_epochs=10),
    "ratio": dict(alpha_schedule="ratio"),
}

#: Parameters of fits whose predictions are evaluated at several blends: any
#: ``rank_blend > 0`` keeps the ranking reference; each view then sets its own blend.
BLEND_FIT = dict(rank_blend=1.0, rank_reference=1000)

#: ``EarlyStopping`` monitor for stopping α = 0 and α > 0 by the same rule.
TASK_MONITOR = "valid_task_loss"
