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
permutation. The ranking loss is computed for the networks with ``alpha > 0`` only.
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
        self.max_epochs = adapter.epoch_cap(first)
        specs = [adapter.loss_spec(e) for e in self.ests]
        self.class_counts, _, _, self.T = specs[0]
        layers = [adapter.linear_layers(e) for e in self.ests]
        self.C = layers[0][1].out_features  # task outputs; the pair head's columns follow
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
        # the ranking loss is computed for the networks with alpha > 0 only (None: all)
        self.rank_index = None
        if not self.ranked.all():
            self.rank_index = torch.as_tensor(np.flatnonzero(self.ranked), device=self.device)
        # network m's position among the ranked networks
        self.rank_pos = {m: r for r, m in enumerate(np.flatnonzero(self.ranked))}
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
            Networks whose loss stopped being finite (stopped there, as their own ``fit``
            would, with its :class:`~sk_prnet.TrainingDivergedError`).

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
                        errors.append((m, exc))
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
            steps = [self._step(size, *block["args"][j], block["active"][j], block["rank"][j])
                     for j in range(block["n_steps"])]  # fmt: skip
            out.append((steps, block["sizes"], block["active"]))
        return out

    # ------------------------------------------------------------------ one step
    def _block(self, orders, codes, entries, size):
        """``(S, M, ...)`` step tensors of one batch size: ``entries[m] = (first, count)``
        are network m's batches of that size (``first`` its position in the epoch), each
        gathered from the stacked samples in its epoch order."""
        S = max((count for _, count in entries.values()), default=0)
        if S == 0:
            return None
        M, T, dev, B = self.M, self.T, self.device, self.batch_size
        index = np.zeros((S, M, size), np.int64)  # masked rows: sample 0, weight 0
        active = np.zeros((S, M), bool)
        rank = np.zeros((S, M), bool)
        any_rank = bool(self.ranked.any())
        if any_rank:
            na = size // 2 if self.pairing == "split" else size
            shape = (S, len(self.rank_pos), na, na, T)  # the ranked networks only
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
                    codes_t[rows, self.rank_pos[m]] = torch.stack([mine[j] for j in have])
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
            W_r = W if self.rank_index is None else W.index_select(1, self.rank_index)
            if self.pairing == "split":
                h = size // 2
                wa, wb = W_r[:, :, :h], W_r[:, :, h : 2 * h]
            else:
                wa = wb = W_r
            # each pair's weight in its model's mean over counted pairs (0 for a pair that
            # does not count; torch.where, not a product with the bool mask: no conversion)
            pair_w = torch.where(counted, wa[:, :, :, None, :] * wb[:, :, None, :, :], 0.0)
            pair_w = pair_w / counted.sum((2, 3, 4), keepdim=True).clamp_min(1)
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
        """Per-network task losses ``(M,)`` and ranking losses of one step (of the
        networks in ``rank_index`` only, when some have ``alpha = 0``).

        The cross-entropies put the classes first (``(K, M, ...)``), as the estimators do
        (:func:`sk_prnet.modules.pairing.class_first_nll`): ``log_softmax`` over a last axis
        of 2 or 3 classes is several times slower. The task loss is then ``-sum(log_softmax
        * w)`` with ``w`` the sample's weight in its model's mean on the target class, zero
        elsewhere; the ranking loss ``-sum(w * log_softmax[relation])`` with ``w`` the
        pair's weight in its model's mean over counted pairs (both built once per epoch by
        :meth:`_block`; ``rank_w = (w, relation)``).
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
        if self.rank_index is not None:
            proj = proj.index_select(0, self.rank_index)
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
        return task, -(picked * pair_w).sum((1, 2, 3))

    def _step(self, size, x, y, task_w, rank_w, active, rank):
        """One SGD step of every network; returns their losses ``(M,)`` (detached)."""
        for p in self.params:
            p.grad = None
        task, rank_loss = self._losses(x, y, task_w, rank_w)
        if rank_loss is None or not rank.any():
            loss = task
        else:
            coef = self.rank_coef * torch.as_tensor(rank, device=self.device)
            if self.rank_index is None:
                loss = task + coef * rank_loss
            else:  # rank_loss holds the ranked networks' losses only
                coef = coef.index_select(0, self.rank_index)
                loss = task.index_add(0, self.rank_index, coef * rank_loss)
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
                # mul_ + add_ as torch's SGD (addcmul would fuse them: other rounding)
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
    # torch.where into contiguous slices: a product with the bool mask into strided ones
    # (out[:, k]) was ~10x slower on the CPU
    return torch.stack([torch.where(labels == k, weight, 0.0) for k in range(n_classes)], 1)
