"""Training many PRNet MLPs as one batched network (issue 15).

The paper's EEG networks (100 -> 128 -> 128 -> heads, batch 40) are so small that a
training step is mostly per-op overhead. Here the weights of ``M`` networks of one
architecture are stacked on a leading "model" axis and every layer is one batched matmul
(``baddbmm``) for all of them, so each op's overhead is paid once per step instead of
``M`` times.

Each network keeps everything of its own ``fit``: its data (folds of different sizes), its
seed, initial weights, batch order and pair labels (all taken from the estimator through
:mod:`._batched_adapter`), its ``alpha``, ``epsilon``, ``lr``, ``momentum`` and
``weight_decay``. Its loss is computed per model from per-sample and per-pair terms with
weights that reproduce the estimator's reductions (batch means, means over counted pairs,
sample and class weights), and the models' losses are summed for one backward pass: the
gradient of the sum with respect to one model's weights is that model's own gradient.

An epoch runs the full batches as steps ``0 .. S-1`` (a network with fewer full batches
is masked from the step on), then one step per distinct size of last, partial batches.
Each network still sees its own batches in its own order; only the interleaving across
networks changes, and they are independent. A masked network's update is an exact no-op
(see :meth:`BatchedMLP._update`), as is the ranking head's where the estimator's own step
leaves it without a gradient (``alpha = 0``, or a batch with fewer than two counted
pairs): torch's SGD skips such a parameter entirely (no weight decay, no momentum).
"""

import numpy as np
import torch
import torch.nn.functional as F

from ..modules import IGNORE
from . import _batched_adapter as adapter

__all__ = ["BatchedMLP"]


class BatchedMLP:
    """``M`` prepared PRNet MLP estimators of one architecture, trained together.

    Parameters
    ----------
    estimators : list of PRNetClassifier or PRNetRegressor
        Prepared by :func:`._batched_adapter.prepare` (validated, module initialized); one
        class, architecture, ``batch_size``, ``pairing``, ``max_epochs`` and device.
    prepared : list of _batched_adapter.Prepared
    """

    def __init__(self, estimators, prepared):
        self.ests, self.preps = list(estimators), list(prepared)
        first = self.ests[0]
        self.M = len(self.ests)
        self.device = first.device_
        self.batch_size = int(first.batch_size)
        self.pairing = first.pairing
        self.max_epochs = int(first.max_epochs)
        specs = [adapter.loss_spec(e) for e in self.ests]
        self.class_counts, _, _, self.T = specs[0]
        layers = [adapter.linear_layers(e) for e in self.ests]
        self.C = layers[0][1].out_features  # task outputs; the pair head's columns follow
        self.n = np.array([len(p.data) for p in self.preps])
        dev = self.device

        def stack(get):
            return torch.stack([get(*lay).detach() for lay in layers]).to(dev).clone()

        # weights stored transposed, (M, in, out): every matmul of the step and of its
        # backward then reads and writes contiguous matrices (no transposing copies)
        params = []
        for i in range(len(layers[0][0])):
            params += [
                stack(lambda b, t, s, i=i: b[i].weight.t()),
                stack(lambda b, t, s, i=i: b[i].bias),
            ]
        params += [
            stack(lambda b, t, s: torch.cat([t.weight, s.weight]).t()),
            stack(lambda b, t, s: torch.cat([t.bias, s.bias])),
        ]
        self.params = [p.requires_grad_() for p in params]
        self.bufs = [torch.zeros_like(p) for p in params]
        col = lambda values: torch.tensor(values, dtype=torch.float32, device=dev)  # noqa: E731
        self.lr = col([float(e.lr) for e in self.ests])
        self.momentum = col([float(e.momentum) for e in self.ests])
        self.weight_decay = col([float(e.weight_decay) for e in self.ests])
        # L_task + alpha * scale * L_rank (scale: n_targets for classifiers, 1 for regressors)
        self.rank_coef = col([s[1] * s[2] for s in specs])
        self.ranked = np.array([s[2] > 0 for s in specs])
        self.touched = np.zeros(self.M, bool)  # backbone and task head updated at least once
        self.rank_touched = np.zeros(self.M, bool)
        self._masks = {}

    # ------------------------------------------------------------------ epochs
    def fit(self):
        """Train every network for ``max_epochs`` epochs and write the results back.

        Returns
        -------
        errors : list of (int, Exception)
            Networks whose loss stopped being finite (stopped there, as their own ``fit``
            would, with its :class:`~sk_prnet.TrainingDivergedError`).

        Raises
        ------
        KeyboardInterrupt
            After writing back the partly trained networks (``interrupted_=True``).
        """
        ests, preps = self.ests, self.preps
        alive = np.ones(self.M, bool)
        errors = []
        for e, p in zip(ests, preps):
            adapter.begin_training(e, p)
        interrupted = completed = False
        try:
            for epoch in range(self.max_epochs):
                live = np.flatnonzero(alive)
                if live.size == 0:
                    break
                for m in live:
                    adapter.begin_epoch(ests[m], preps[m], epoch)
                batches = [
                    adapter.epoch_batches(ests[m], preps[m]) if alive[m] else []
                    for m in range(self.M)
                ]
                losses = self._run_epoch(batches)
                totals = [(torch.stack(steps) * sizes).sum(0) for steps, sizes, _ in losses]
                total = torch.stack(totals).sum(0).cpu().double().numpy()
                epoch_loss = (total / self.n).tolist()
                for m in live:
                    steps = [
                        step[m] for steps, _, active in losses
                        for step, on in zip(steps, active[:, m]) if on
                    ]  # fmt: skip
                    try:
                        adapter.end_epoch(ests[m], preps[m], epoch_loss[m], steps)
                    except FloatingPointError as exc:  # TrainingDivergedError
                        alive[m] = False
                        errors.append((m, exc))
            completed = True
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            self._write_back()
            # a failure (not an interrupt) ends nothing: as fit, it leaves no finished state
            for m in np.flatnonzero(alive) if completed or interrupted else ():
                adapter.end_training(ests[m], preps[m], interrupted)
        return errors

    def _run_epoch(self, batches):
        """Train one epoch; ``batches[m]`` is network m's list of batches (empty: skipped).

        Returns, per block of steps, ``(step_losses, sizes, active)``: the ``(M,)`` loss
        tensors of its steps, a ``(S, M)`` tensor of the batch sizes (0 where masked) and
        the ``(S, M)`` host mask of the networks that took each step.
        """
        B = self.batch_size
        full = [[b for b in bs if len(b[0]) == B] for bs in batches]
        tails = {}
        for m, bs in enumerate(batches):
            if bs and len(bs[-1][0]) != B:
                tails.setdefault(len(bs[-1][0]), {})[m] = [bs[-1]]
        blocks = [(B, full)] + [
            (size, [group.get(m, []) for m in range(self.M)]) for size, group in tails.items()
        ]
        out = []
        for size, per_model in blocks:
            block = self._block(per_model, size)
            if block is None:
                continue
            steps = [self._step(size, *block["args"][j], block["active"][j], block["rank"][j])
                     for j in range(block["n_steps"])]  # fmt: skip
            out.append((steps, block["sizes"], block["active"]))
        return out

    # ------------------------------------------------------------------ one step
    def _block(self, per_model, size):
        """Stack the networks' batches of one size into ``(S, M, ...)`` step tensors."""
        S = max((len(b) for b in per_model), default=0)
        if S == 0:
            return None
        M, T, dev = self.M, self.T, self.device
        feats = per_model[next(m for m, b in enumerate(per_model) if b)][0][0][0].numel()
        task_dtype = torch.long if self.class_counts is not None else torch.float32
        X = torch.zeros(S, M, size, feats, device=dev)
        Y = torch.zeros(S, M, size, T, dtype=task_dtype, device=dev)
        W = torch.zeros(S, M, size, T, device=dev)  # sample weights, 0 where masked
        active = np.zeros((S, M), bool)
        rank = np.zeros((S, M), bool)
        any_rank = bool(self.ranked.any())
        if any_rank:
            na = size // 2 if self.pairing == "split" else size
            codes = torch.full((S, M, na, na, T), IGNORE, dtype=torch.long, device=dev)
        for m, bs in enumerate(per_model):
            k = len(bs)
            if k == 0:
                continue
            active[:k, m] = True
            X[:k, m] = torch.stack([xb.reshape(size, -1) for xb, _ in bs])
            Y[:k, m] = torch.stack([t["task"] for _, t in bs])
            w = [t.get("weight") for _, t in bs]
            W[:k, m] = 1.0 if w[0] is None else torch.stack(w).to(torch.float32)
            if any_rank:
                have = [j for j, (_, t) in enumerate(bs) if t.get("codes") is not None]
                rank[have, m] = True
                if have:
                    rows = slice(0, len(have)) if have[-1] == len(have) - 1 else have
                    codes[rows, m] = torch.stack([bs[j][1]["codes"] for j in have])
        rank_w = None
        if any_rank:
            counted = codes != IGNORE
            if self.pairing == "split":
                h = size // 2
                wa, wb = W[:, :, :h], W[:, :, h : 2 * h]
            else:
                wa = wb = W
            # each pair's weight in its model's mean over counted pairs, put on the class
            # of its relation (classes first): the loss is -sum(log_softmax * rank_w)
            pair_w = wa[:, :, :, None, :] * wb[:, :, None, :, :] * counted
            pair_w = pair_w / counted.sum((2, 3, 4), keepdim=True).clamp_min(1)
            rank_w = _on_classes(pair_w, codes, 3)
        # the task loss: per output a batch mean (classifiers sum the outputs, regressors
        # average them)
        task_w = W / (size if self.class_counts is not None else size * T)
        if self._one_softmax():  # as the ranking loss: weights on the targets' classes
            task_w = _on_classes(task_w, Y, self.class_counts[0])
        args = [(X[j], Y[j], task_w[j], None if rank_w is None else rank_w[j]) for j in range(S)]
        sizes = torch.as_tensor(active * size, dtype=torch.float32, device=dev)
        return {"n_steps": S, "args": args, "active": active, "rank": rank & self.ranked,
                "sizes": sizes}  # fmt: skip

    def _one_softmax(self):
        """Whether the task outputs are classifications with equal class counts."""
        counts = self.class_counts
        return counts is not None and counts.count(counts[0]) == len(counts)

    def _losses(self, x, y, task_w, rank_w):
        """Per-network task and ranking losses ``(M,)`` of one step.

        The cross-entropies put the classes first (``(K, M, ...)``), as the estimators do
        (:func:`sk_prnet.modules.pairing.class_first_nll`): ``log_softmax`` over a last axis
        of 2 or 3 classes is several times slower. Each loss is then ``-sum(log_softmax *
        w)`` with ``w`` the sample's (or pair's) weight in its model's mean on the target
        class, zero elsewhere (built once per epoch by :meth:`_block`).
        """
        h = x
        *layers, Wh, bh = self.params
        for W, b in zip(layers[::2], layers[1::2]):
            h = torch.relu(torch.baddbmm(b.unsqueeze(1), h, W))
        out = torch.baddbmm(bh.unsqueeze(1), h, Wh)
        C, T = self.C, self.T
        task_out = out[..., :C]
        counts = self.class_counts
        if counts is None:
            task = ((task_out - y).square() * task_w).sum((1, 2))
        elif self._one_softmax():
            logits = task_out.unflatten(-1, (T, counts[0])).permute(3, 0, 1, 2)
            task = -(F.log_softmax(logits, 0) * task_w).sum((0, 2, 3))
        else:
            parts = task_out.split(counts, dim=-1)
            nll = torch.stack(
                [-F.log_softmax(p, -1).gather(-1, y[..., t, None]).squeeze(-1)
                 for t, p in enumerate(parts)], -1,
            )  # fmt: skip
            task = (nll * task_w).sum((1, 2))
        if rank_w is None:
            return task, None
        proj = out[..., C:]
        m = 3 * T
        if self.pairing == "split":
            half = x.shape[1] // 2
            a, b = proj[:, :half, :m], proj[:, half : 2 * half, m:]
        else:
            a, b = proj[..., :m], proj[..., m:]
        # (3, M, N_a, N_b, T) relation logits, classes first
        a = a.unflatten(-1, (T, 3)).permute(3, 0, 1, 2)
        b = b.unflatten(-1, (T, 3)).permute(3, 0, 1, 2)
        logits = a.unsqueeze(3) + b.unsqueeze(2)
        return task, -(F.log_softmax(logits, 0) * rank_w).sum((0, 2, 3, 4))

    def _step(self, size, x, y, task_w, rank_w, active, rank):
        """One SGD step of every network; returns their losses ``(M,)`` (detached)."""
        for p in self.params:
            p.grad = None
        task, rank_loss = self._losses(x, y, task_w, rank_w)
        if rank_loss is None or not rank.any():
            loss = task
        else:
            coef = self.rank_coef * torch.as_tensor(rank, device=self.device)
            loss = task + coef * rank_loss
        loss.sum().backward()
        self._update(active, rank)
        self.touched |= active
        self.rank_touched |= rank
        return loss.detach()

    def _update(self, active, rank):
        """torch.optim.SGD's step (momentum, weight decay, no dampening) per network.

        ``d = g + wd * p; buf = momentum * buf + d; p = p - lr * buf``, with a zero first
        buffer (``momentum * 0 + d`` is torch's first ``buf = d``). Where a network (or its
        ranking head) is masked, its gradient is exactly zero and the factors become
        ``wd = 0``, ``momentum = 1``, ``lr = 0``: ``buf`` and ``p`` stay bit for bit.
        """
        wd, mom, nlr = self._mask_factors(active, rank)
        with torch.no_grad():
            for p, buf, w, mo, lr in zip(self.params, self.bufs, wd, mom, nlr):
                d = p.grad.addcmul_(p, w)  # the gradient is this step's own tensor
                buf.mul_(mo).add_(d)
                p.addcmul_(buf, lr)

    def _mask_factors(self, active, rank):
        key = (active.tobytes(), rank.tobytes())
        if key not in self._masks:
            dev = self.device
            a = torch.as_tensor(active, device=dev)
            r = torch.as_tensor(rank & active, device=dev)
            n_head = self.params[-1].shape[-1]
            head = torch.zeros(self.M, n_head, dtype=torch.bool, device=dev)
            head[:, : self.C] = a[:, None]
            head[:, self.C :] = r[:, None]
            factors = ([], [], [])
            n_layer_params = len(self.params) - 2
            for i, p in enumerate(self.params):
                # masks broadcast over a parameter's (M, in, out) or (M, out) shape
                if i < n_layer_params:
                    mask = a.view(self.M, *([1] * (p.ndim - 1)))
                else:
                    mask = head.view(self.M, *([1] * (p.ndim - 2)), n_head)
                shape = (self.M,) + (1,) * (p.ndim - 1)
                factors[0].append(mask * self.weight_decay.view(shape))
                factors[1].append(torch.where(mask, self.momentum.view(shape), 1.0))
                factors[2].append(mask * -self.lr.view(shape))
            self._masks[key] = factors
        return self._masks[key]

    def _write_back(self):
        """Copy each network's weights and momentum buffers back to its estimator."""
        n_layer_params = len(self.params) - 2
        with torch.no_grad():
            for m, est in enumerate(self.ests):
                _, task, sides = adapter.linear_layers(est)
                tensors, buffers = [], []
                for i, (p, buf) in enumerate(zip(self.params, self.bufs)):
                    value, b = p[m], buf[m]
                    if value.ndim == 2:  # stored transposed
                        value, b = value.t(), b.t()
                    if i < n_layer_params:
                        tensors.append(value)
                        buffers.append(b if self.touched[m] else None)
                        continue
                    split = [self.C, value.shape[0] - self.C]
                    t_val, s_val = value.split(split)
                    t_buf, s_buf = b.split(split)
                    tensors += [t_val, s_val]
                    buffers += [t_buf if self.touched[m] else None,
                                s_buf if self.rank_touched[m] else None]  # fmt: skip
                # order: layers' (weight, bias), then task weight, task bias, sides weight...
                adapter.write_back(est, _layer_order(tensors, n_layer_params),
                                   _layer_order(buffers, n_layer_params))  # fmt: skip


def _layer_order(items, n_layer_params):
    """``[layers..., Wt, Ws, bt, bs]`` -> ``[layers..., Wt, bt, Ws, bs]``."""
    wt, ws, bt, bs = items[n_layer_params:]
    return items[:n_layer_params] + [wt, bt, ws, bs]


def _on_classes(weight, labels, n_classes):
    """``(S, K, ...)`` tensor: ``weight (S, ...)`` where ``labels`` is class k, else 0."""
    out = weight.new_empty((weight.shape[0], n_classes, *weight.shape[1:]))
    for k in range(n_classes):
        torch.mul(weight, labels == k, out=out[:, k])
    return out
