"""Training many PRNet MLPs as one batched network (issue 15).

The paper's EEG networks (100 -> 128 -> 128 -> heads, batch 40) are so small that a
training step is mostly per-op overhead. Here the weights of ``M`` networks of one
architecture are stacked on a leading "model" axis and every layer is one batched matmul
(``baddbmm``) for all of them, so each op's overhead is paid once per step instead of
``M`` times.

Each network keeps everything of its own ``fit``: its data (folds of different sizes), its
seed, initial weights, batch order and pair labels (all taken from the estimator through
:mod:`._batched_adapter`), its ``alpha``, ``epsilon``, ``lr``, ``momentum`` and
``weight_decay`` and its number of epochs (``max_epochs``, or the training budget of
``max_epochs="auto"``). Its loss is computed per model from per-sample and per-pair terms with
weights that reproduce the estimator's reductions (batch means, means over counted pairs,
sample and class weights), and the models' losses are summed for one backward pass: the
gradient of the sum with respect to one model's weights is that model's own gradient.

An epoch runs the full batches as steps ``0 .. S-1`` (a network with fewer full batches
is masked from the step on), then one step per distinct size of last, partial batches; a
network whose training is done is masked for the whole epoch. The step tensors of an epoch
are gathered at once from all networks' samples, each network's rows in its own epoch
permutation. Each network still sees its own batches in its own order; only the
interleaving across networks changes, and they are independent.

The networks with ``alpha > 0`` are put first (``R`` of them): the ranking loss and the pair
head's per-sample projection (its "sides", a tensor of its own) are computed for those
only. The update is the one of the network's own ``fit``: torch's fused SGD kernel (the
default, :mod:`._optim`; one call for the whole stacked tensors when every network takes
the step with the same SGD settings, else on each network's slices) or, for an estimator
with ``optimizer__fused=False``, torch's unfused rule. A network, or a pair head, that does
not take a step is left out of it bit for bit, as torch's SGD skips a parameter without a
gradient (``alpha = 0``, or a batch with fewer than two counted pairs: no weight decay, no
momentum).
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
        estimators = list(estimators)
        specs = [adapter.loss_spec(e) for e in estimators]
        # the networks with alpha > 0 first (stable): the ranking loss then takes the first R
        # networks (a slice, not a gather); ``order[m]`` is the caller's index of m
        self.order = np.argsort([not s[2] > 0 for s in specs], kind="stable")
        self.ests = [estimators[i] for i in self.order]
        self.preps = [prepared[i] for i in self.order]
        specs = [specs[i] for i in self.order]
        first = self.ests[0]
        self.M = len(self.ests)
        self.device = first.device_
        self.batch_size = int(first.batch_size)
        self.pairing = first.pairing
        self.max_epochs = adapter.epoch_cap(first)
        self.class_counts, _, _, self.T = specs[0]
        self.ranked = np.array([s[2] > 0 for s in specs])
        self.R = R = int(self.ranked.sum())  # the networks with a ranking loss: 0 .. R-1
        layers = [adapter.linear_layers(e) for e in self.ests]
        self.n = np.array([len(p.data) for p in self.preps])
        dev = self.device
        # every network's samples stacked (rows offsets[m] ..): a block of steps is then one
        # gather per tensor
        self.offsets = np.concatenate([[0], np.cumsum(self.n)[:-1]])
        task_dtype = torch.long if self.class_counts is not None else torch.float32
        inputs, task, weight = zip(*(adapter.samples(p) for p in self.preps))
        self.inputs = torch.cat([x.reshape(len(x), -1) for x in inputs]).to(dev)
        self.task = torch.cat(task).to(dev, task_dtype)
        self.weight = torch.cat([
            torch.ones(len(t), self.T, device=dev) if w is None
            else w.to(dev, torch.float32).expand(len(t), self.T)
            for t, w in zip(task, weight)
        ])  # fmt: skip

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
        # the task head, then the pair head's per-sample projection ("sides"): separate
        # tensors, so that an update can leave out the sides alone (alpha = 0, or a batch
        # without counted pairs), the ranked networks' being the first R rows
        params += [
            stack(lambda b, t, s: t.weight.t()), stack(lambda b, t, s: t.bias),
            stack(lambda b, t, s: s.weight.t()), stack(lambda b, t, s: s.bias),
        ]  # fmt: skip
        self.params = [p.requires_grad_() for p in params]
        self.bufs = [torch.zeros_like(p) for p in params]
        # per network views of the weights and buffers (for updates of some networks only)
        self._views = [(p.detach().unbind(0), b.unbind(0)) for p, b in zip(params, self.bufs)]
        col = lambda values: torch.tensor(values, dtype=torch.float32, device=dev)  # noqa: E731
        self.lr = col([float(e.lr) for e in self.ests])
        self.momentum = col([float(e.momentum) for e in self.ests])
        self.weight_decay = col([float(e.weight_decay) for e in self.ests])
        # networks whose own fit runs torch's fused SGD kernel get that kernel here too (its
        # rounding), grouped by their SGD settings (one call a group); the others get the
        # unfused rule (SGD(fused=False))
        self.fused = np.array([adapter.fused_sgd(e) for e in self.ests])
        self.sgd_groups = {}
        for m in np.flatnonzero(self.fused):
            e = self.ests[m]
            key = (float(e.lr), float(e.momentum), float(e.weight_decay))
            self.sgd_groups.setdefault(key, np.zeros(self.M, bool))[m] = True
        # L_task + alpha * scale * L_rank (scale: n_targets for classifiers, 1 for regressors)
        self.rank_coef = col([s[1] * s[2] for s in specs[:R]])
        self._prefixes = {}  # (parameter, k): views of its first k rows
        self.touched = np.zeros(self.M, bool)  # backbone and task head updated at least once
        self.rank_touched = np.zeros(self.M, bool)
        self._masks = {}

    # ------------------------------------------------------------------ epochs
    def fit(self):
        """Train every network for its epochs and write the results back.

        Each network trains until its own ``fit`` would stop: ``max_epochs`` epochs, or
        with ``max_epochs="auto"`` its training budget (the estimator's own
        ``ConvergenceStopping``); a network that is done is masked from the next epoch on,
        like a fold with fewer batches.

        Returns
        -------
        errors : list of (int, Exception)
            Networks (their index in ``estimators``) whose loss stopped being finite
            (stopped there, as their own ``fit`` would, with its
            :class:`~sk_prnet.TrainingDivergedError`).

        Raises
        ------
        KeyboardInterrupt
            After writing back the partly trained networks (``interrupted_=True``; those
            already done are complete fits).
        """
        ests, preps = self.ests, self.preps
        alive = np.ones(self.M, bool)
        done = np.zeros(self.M, bool)  # stopped by their budget: complete
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
                orders = [
                    adapter.epoch_order(preps[m]) if alive[m] else None for m in range(self.M)
                ]
                codes = [
                    adapter.epoch_codes(ests[m], preps[m], orders[m]) if alive[m] else None
                    for m in range(self.M)
                ]
                losses = self._run_epoch(orders, codes)
                totals = [(torch.stack(steps) * sizes).sum(0) for steps, sizes, _ in losses]
                total = torch.stack(totals).sum(0).cpu().double().numpy()
                epoch_loss = (total / self.n).tolist()
                for m in live:
                    steps = [
                        step[m] for steps, _, active in losses
                        for step, on in zip(steps, active[:, m]) if on
                    ]  # fmt: skip
                    try:
                        stopped = adapter.end_epoch(ests[m], preps[m], epoch_loss[m], steps)
                    except FloatingPointError as exc:  # TrainingDivergedError
                        alive[m] = False
                        errors.append((int(self.order[m]), exc))
                        adapter.abandon(ests[m])
                    else:
                        if stopped:
                            alive[m], done[m] = False, True
            completed = True
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            self._write_back()
            # a failure (not an interrupt) ends nothing: as fit, it leaves no finished state
            ended = alive | done if completed or interrupted else np.zeros(self.M, bool)
            for m in range(self.M):
                if ended[m]:
                    adapter.end_training(ests[m], preps[m], interrupted and not done[m])
                else:
                    adapter.abandon(ests[m])
        return errors

    def _run_epoch(self, orders, codes):
        """Train one epoch; ``orders[m]`` is network m's permutation of its samples
        (``None``: skipped), ``codes[m]`` its batches' pair labels (``None`` entries for
        batches without ranking; ``None``: no ranking).

        Returns, per block of steps, ``(step_losses, sizes, active)``: the ``(M,)`` loss
        tensors of its steps, a ``(S, M)`` tensor of the batch sizes (0 where masked) and
        the ``(S, M)`` host mask of the networks that took each step.
        """
        B = self.batch_size
        # the full batches first (steps 0 .. S-1), then one step per size of last batches
        full = {m: (0, len(o) // B) for m, o in enumerate(orders) if o is not None}
        blocks = [(B, full)]
        for m, o in enumerate(orders):
            if o is not None and len(o) % B:
                blocks.append((len(o) % B, {m: (len(o) // B, 1)}))
        merged = {}
        for size, entries in blocks[1:]:
            merged.setdefault(size, {}).update(entries)
        out = []
        for size, entries in [(B, full), *merged.items()]:
            block = self._block(orders, codes, entries, size)
            if block is None:
                continue
            steps = [self._step(*block["args"][j], block["active"][j], block["rank"][j])
                     for j in range(block["n_steps"])]  # fmt: skip
            out.append((steps, block["sizes"], block["active"]))
        return out

    # ------------------------------------------------------------------ one step
    def _block(self, orders, codes, entries, size):
        """``(S, M, ...)`` step tensors of one batch size: ``entries[m] = (first, count)``
        are network m's batches of that size (``first`` its position in the epoch), each
        gathered from the stacked samples in its epoch order."""
        S = max(count for _, count in entries.values())
        if S == 0:
            return None
        M, T, dev, B = self.M, self.T, self.device, self.batch_size
        index = np.zeros((S, M, size), np.int64)  # masked rows: sample 0, weight 0
        active = np.zeros((S, M), bool)
        rank = np.zeros((S, M), bool)
        any_rank = self.R > 0
        if any_rank:
            na = size // 2 if self.pairing == "split" else size
            shape = (S, self.R, na, na, T)  # the ranked networks only
            codes_t = torch.full(shape, IGNORE, dtype=torch.long, device=dev)
        for m, (first, k) in entries.items():
            if k == 0:
                continue
            rows = orders[m].numpy()[first * B : first * B + k * size]
            index[:k, m] = rows.reshape(k, size) + self.offsets[m]
            active[:k, m] = True
            if any_rank and codes[m] is not None:
                mine = codes[m][first : first + k]
                have = [j for j, c in enumerate(mine) if c is not None]
                rank[have, m] = True
                if have:
                    rows = slice(0, len(have)) if have[-1] == len(have) - 1 else have
                    codes_t[rows, m] = torch.stack([mine[j] for j in have])
        # index_select on the flat rows: several times faster than advanced indexing
        flat = torch.from_numpy(index.reshape(-1)).to(dev)
        X = self.inputs.index_select(0, flat).view(S, M, size, -1)
        Y = self.task.index_select(0, flat).view(S, M, size, T)
        weight = self.weight.index_select(0, flat).view(S, M, size, T)
        mask = torch.as_tensor(active, dtype=torch.float32, device=dev)
        W = weight * mask[:, :, None, None]  # sample weights, 0 where masked
        rank_w = None
        if any_rank:
            counted = codes_t != IGNORE
            W_r = W[:, : self.R]
            if self.pairing == "split":
                h = size // 2
                wa, wb = W_r[:, :, :h], W_r[:, :, h : 2 * h]
            else:
                wa = wb = W_r
            # each pair's weight in its model's mean over counted pairs (0 for a pair that
            # does not count; torch.where, not a product with the bool mask: no conversion)
            pair_w = torch.where(counted, wa[:, :, :, None, :] * wb[:, :, None, :, :], 0.0)
            pair_w = pair_w / counted.sum((2, 3, 4), keepdim=True).clamp_min(1)
            # times -alpha * scale where the network ranks in the step (0 where it does not):
            # the step's sum of picked log-probabilities is then the loss's ranking term
            on = torch.as_tensor(rank[:, : self.R], dtype=torch.float32, device=dev)
            pair_w = pair_w * (on * -self.rank_coef)[:, :, None, None, None]
            # the step picks each pair's log-probability of its relation (class index;
            # an uncounted pair picks class 0 with weight 0)
            rank_w = (pair_w, codes_t.clamp_min(0).unsqueeze(1))
        # the task loss: per output a batch mean (classifiers sum the outputs, regressors
        # average them)
        task_w = W / (size if self.class_counts is not None else size * T)
        if self._one_softmax():  # as the ranking loss: weights on the targets' classes
            task_w = _on_classes(task_w, Y, self.class_counts[0])
        args = [
            (X[j], Y[j], task_w[j], None if rank_w is None else (rank_w[0][j], rank_w[1][j]))
            for j in range(S)
        ]
        sizes = torch.as_tensor(active * size, dtype=torch.float32, device=dev)
        return {"n_steps": S, "args": args, "active": active, "rank": rank & self.ranked,
                "sizes": sizes}  # fmt: skip

    def _one_softmax(self):
        """Whether the task outputs are classifications with equal class counts."""
        counts = self.class_counts
        return counts is not None and counts.count(counts[0]) == len(counts)

    def _losses(self, x, y, task_w, rank_w):
        """Per-network task losses ``(M,)`` and ranking terms ``(R,)`` of one step (the
        ranked networks': ``alpha * scale * L_rank``, 0 where a network does not rank).

        The cross-entropies put the classes first (``(K, M, ...)``), as the estimators do
        (:func:`sk_prnet.modules.pairing.class_first_nll`): ``log_softmax`` over a last axis
        of 2 or 3 classes is several times slower. The task loss is then ``-sum(log_softmax
        * w)`` with ``w`` the sample's weight in its model's mean on the target class, zero
        elsewhere; the ranking term ``sum(w * log_softmax[relation])`` with ``w`` the
        pair's weight in its model's mean over counted pairs times ``-alpha * scale`` (both
        built once per epoch by :meth:`_block`; ``rank_w = (w, relation)``).
        """
        h = x
        *layers, Wt, bt, Ws, bs = self.params
        for W, b in zip(layers[::2], layers[1::2]):
            h = torch.relu(torch.baddbmm(b.unsqueeze(1), h, W))
        task_out = torch.baddbmm(bt.unsqueeze(1), h, Wt)
        T = self.T
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
        proj = torch.baddbmm(bs.unsqueeze(1), h, Ws)
        if self.R < self.M:
            proj = proj[: self.R]
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
        pair_w, relation = rank_w
        picked = F.log_softmax(logits, 0).gather(0, relation)[0]
        return task, (picked * pair_w).sum((1, 2, 3))

    def _step(self, x, y, task_w, rank_w, active, rank):
        """One SGD step of every network; returns their losses ``(M,)`` (detached)."""
        for p in self.params:
            p.grad = None
        task, ranking = self._losses(x, y, task_w, rank_w)
        if ranking is None or not rank.any():
            loss = task
        else:  # the ranking terms (alpha * scale * L_rank) of the first R networks
            loss = task + (ranking if self.R == self.M else F.pad(ranking, (0, self.M - self.R)))
        loss.sum().backward()
        self._update(active, rank)
        self.touched |= active
        self.rank_touched |= rank
        return loss.detach()

    def _update(self, active, rank):
        """One SGD step (momentum, weight decay, no dampening) of the networks that took it.

        A network's backbone and task head are updated where it is ``active``, its pair
        head's sides where it also ranked (``rank``): as in its own ``fit``, where torch's
        SGD skips a parameter without a gradient. Networks whose ``fit`` runs torch's fused
        SGD kernel get that kernel (one call per group of equal SGD settings: on whole
        tensors when every network takes the step, on their first rows when those are the
        ones that do, else on each network's slices);
        the others get :meth:`_unfused_update`. Every buffer starts at zero: ``momentum * 0 +
        d`` is torch's first ``buf = d`` (as ``fit`` primes a late buffer,
        :func:`~sk_prnet.estimators._optim.prime_momentum_buffers`).
        """
        rank = rank & active
        with torch.no_grad():
            if not self.fused.all():
                self._unfused_update(active & ~self.fused, rank & ~self.fused)
            for (lr, momentum, decay), parts in self._fused_plan(active, rank):
                params, grads, bufs = [], [], []
                for i, chosen in parts:
                    p = self.params[i]
                    if p.grad is None:  # no ranking in this step: the sides have no gradient
                        continue
                    if chosen is None:  # the whole tensor
                        params.append(p.detach())
                        grads.append(p.grad)
                        bufs.append(self.bufs[i])
                        continue
                    if isinstance(chosen, int):  # its first rows (e.g. the ranked networks')
                        params.append(self._prefix(i, chosen))
                        grads.append(p.grad[:chosen])
                        bufs.append(self.bufs[i][:chosen])
                        continue
                    views, buf_views = self._views[i]
                    grad_views = p.grad.unbind(0)
                    params += [views[m] for m in chosen]
                    grads += [grad_views[m] for m in chosen]
                    bufs += [buf_views[m] for m in chosen]
                if params:
                    torch._fused_sgd_(
                        params, grads, bufs if momentum else [], weight_decay=decay,
                        momentum=momentum, lr=lr, dampening=0.0, nesterov=False,
                        maximize=False, is_first_step=False,
                    )  # fmt: skip

    def _rows(self, i, active, rank):
        """The networks whose rows of parameter ``i`` a step updates."""
        return active if i < len(self.params) - 2 else rank

    def _prefix(self, i, k):
        """Parameter ``i``'s first ``k`` rows (a contiguous view, kept)."""
        if (i, k) not in self._prefixes:
            self._prefixes[i, k] = self.params[i].detach()[:k]
        return self._prefixes[i, k]

    def _fused_plan(self, active, rank):
        """Per SGD group, ``(i, rows)``: parameter ``i`` updated whole (``rows=None``), in
        its first ``rows`` rows (an int) or in the rows listed (cached per mask: a few kinds
        of step an epoch)."""
        key = ("fused", active.tobytes(), rank.tobytes())
        if key not in self._masks:
            plan = []
            for settings, members in self.sgd_groups.items():
                parts = []
                for i in range(len(self.params)):
                    on = self._rows(i, active & members, rank & members)
                    k = int(on.sum())
                    if k == self.M:
                        parts.append((i, None))
                    elif k and on[:k].all():  # the first k networks (ranked ones first)
                        parts.append((i, k))
                    elif k:
                        parts.append((i, np.flatnonzero(on).tolist()))
                plan.append((settings, parts))
            self._masks[key] = plan
        return self._masks[key]

    def _unfused_update(self, active, rank):
        """torch.optim.SGD's unfused step, per network.

        ``d = g + wd * p; buf = momentum * buf + d; p = p - lr * buf``. Where a network (or
        its sides) is masked the factors become ``wd = 0``, ``momentum = 1``, ``lr = 0`` and
        its gradient is zeroed (it is exactly zero, unless the network is one of the fused
        kernel's): ``buf`` and ``p`` stay bit for bit.
        """
        wd, mom, nlr, keep = self._mask_factors(active, rank)
        for p, buf, w, mo, lr, k in zip(self.params, self.bufs, wd, mom, nlr, keep):
            if p.grad is None:  # no ranking in this step: the sides have no gradient
                continue
            # a new tensor: the fused kernel still reads the other networks' gradients
            d = (p.grad * k).addcmul_(p, w)
            # mul_ + add_ as torch's SGD (addcmul would fuse them: other rounding)
            buf.mul_(mo).add_(d)
            p.addcmul_(buf, lr)

    def _mask_factors(self, active, rank):
        key = ("unfused", active.tobytes(), rank.tobytes())
        if key not in self._masks:
            factors = ([], [], [], [])
            for i, p in enumerate(self.params):
                # (M, 1, ...) columns broadcast over a parameter's (M, in, out) or (M, out)
                shape = (self.M,) + (1,) * (p.ndim - 1)
                mask = torch.as_tensor(self._rows(i, active, rank), device=self.device)
                mask = mask.view(shape)
                factors[0].append(mask * self.weight_decay.view(shape))
                factors[1].append(torch.where(mask, self.momentum.view(shape), 1.0))
                factors[2].append(mask * -self.lr.view(shape))
                factors[3].append(mask.to(torch.float32))
            self._masks[key] = factors
        return self._masks[key]

    def _write_back(self):
        """Copy each network's weights and momentum buffers back to its estimator."""
        n_task = len(self.params) - 2
        with torch.no_grad():
            for m, est in enumerate(self.ests):
                tensors, buffers = [], []
                for i, (p, buf) in enumerate(zip(self.params, self.bufs)):
                    value, b = p[m], buf[m]
                    if value.ndim == 2:  # weights are stored transposed
                        value, b = value.t(), b.t()
                    touched = self.touched[m] if i < n_task else self.rank_touched[m]
                    tensors.append(value)
                    buffers.append(b if touched else None)
                # the order of adapter.linear_layers: (weight, bias) per layer and head
                adapter.write_back(est, tensors, buffers)


def _on_classes(weight, labels, n_classes):
    """``(S, K, ...)`` tensor: ``weight (S, ...)`` where ``labels`` is class k, else 0."""
    # torch.where into contiguous slices: a product with the bool mask into strided ones
    # (out[:, k]) was ~10x slower on the CPU
    return torch.stack([torch.where(labels == k, weight, 0.0) for k in range(n_classes)], 1)
