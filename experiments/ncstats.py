"""Sufficient statistics of a network's last layer, accumulated batch by batch,
for `nccheck measure` (theory.md sections 8 and 10) without dumping features.

Dependencies: numpy and torch only (Debian: python3-numpy, python3-torch; run
with /usr/bin/python3). Nothing here is part of the Go build.

A forward hook on the last linear layer (the classifier, h -> W h + b) sees its
input h, the features of theory.md section 10 (after their ReLU), batch by
batch. The hook copies h to float64 and accumulates, in float64, everything the
measurement needs from the features, so a checkpoint is a few K x d arrays
instead of N x d. Run it over the same data a features checkpoint would hold:
the full training set, model in eval mode, no augmentation (`collect` does
this and restores the model's mode).

File format (one `.npz`, numpy.savez_compressed; K classes, d features, the
classes numbered by their label 0..K-1):

    counts        (K,)    int64    n_k, samples of class k
    feature_sums  (K, d)  float64  sum_{i: y_i = k} h_i
    feature_gram  (d, d)  float64  sum_i h_i h_i^T (all samples)
    norm_sq_sums  (K,)    float64  sum_{i: y_i = k} ||h_i||^2
    loss_sum      ()      float64  sum_i CE(W h_i + b, y_i), natural log, unscaled
                                   (no 1/N, no penalty terms)
    softmax_sums  (K, K)  float64  row k = sum_{i: y_i = k} softmax(W h_i + b)
    correct       (K,)    int64    per class k: #{i: y_i = k, argmax_j (W h_i + b)_j = k}
    nc4_agree     (K,)    int64    optional; per class k: #{i: y_i = k,
                                   argmax_j (W h_i + b)_j = argmin_j ||h_i - mu_j||},
                                   mu_j = feature_sums[j] / counts[j] of the same data
                                   (a second pass); classes with counts 0 are not
                                   candidates of the argmin
    classifier    (K, d)  float32 or float64  W (as the layer holds it)
    bias          (K,)    same dtype as classifier; optional (absent: no bias)
    epoch         ()      int64    optional

How each quantity is computed (so that an independent reader of a features
checkpoint of the same data can reproduce it): h is the layer input cast to
float64; W and b are the layer's parameters cast to float64; the logits are
z = h @ W.T + b in float64; CE(z, y) = m + log(sum_j exp(z_j - m)) - z_y with
m = max_j z_j; softmax(z)_j = exp(z_j - m) / sum_l exp(z_l - m); argmax and
argmin are numpy's (ties go to the lowest index, so a sample with all logits
equal, e.g. h = 0 and no bias, is predicted as class 0); the squared distance
is sum_c (h_c - mu_jc)^2 evaluated directly, not expanded.

Usage, inside a training loop (see experiments/fashion-mnist/train.py):

    import ncstats
    stats = ncstats.collect(model, model.classifier, batches, num_classes=K, nc4=True)
    ncstats.save("stats/epoch-00010.npz", stats, model.classifier, epoch=10)

where `batches` is an iterable (or a function returning a fresh iterator, for
the second pass) of (inputs, labels). Or, by hand:

    acc = ncstats.Accumulator(K)
    with acc.hook(model.classifier) as h:
        for x, y in batches:
            h.labels = y
            model(x)
    stats = acc.result()
"""

import contextlib

import numpy as np
import torch

__all__ = ["Accumulator", "collect", "save", "KEYS"]

# The keys of a statistics checkpoint, in the order save writes them.
KEYS = ("counts", "feature_sums", "feature_gram", "norm_sq_sums", "loss_sum",
        "softmax_sums", "correct", "nc4_agree", "classifier", "bias", "epoch")


def _float64(t):
    """A detached CPU float64 numpy copy of a tensor or array."""
    if isinstance(t, torch.Tensor):
        return t.detach().to("cpu", torch.float64).numpy()
    return np.asarray(t, dtype=np.float64)


def _labels(y, n):
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels: shape {y.shape}, want ({n},)")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels: dtype {y.dtype}, want an integer type")
    return y.astype(np.int64)


def _layer_params(layer):
    W = _float64(layer.weight)
    b = None if getattr(layer, "bias", None) is None else _float64(layer.bias)
    return W, b


def _logits(h, W, b):
    z = h @ W.T
    if b is not None:
        z = z + b
    return z


class _Hook:
    """The handle `Accumulator.hook` yields: set `labels` before each forward."""

    def __init__(self):
        self.labels = None


class Accumulator:
    """Float64 sums over batches of last-layer inputs h (N_batch x d).

    `update(h, y, W, b)` adds one batch; `update_nc4(h, y, W, b, means)` adds
    one batch of the second (NC4) pass; `result()` returns the arrays of the
    file format (without classifier, bias, epoch)."""

    def __init__(self, num_classes):
        if num_classes < 1:
            raise ValueError(f"num_classes {num_classes}: want >= 1")
        self.K = num_classes
        self.d = None
        self.counts = np.zeros(num_classes, dtype=np.int64)
        self.correct = np.zeros(num_classes, dtype=np.int64)
        self.softmax_sums = np.zeros((num_classes, num_classes), dtype=np.float64)
        self.norm_sq_sums = np.zeros(num_classes, dtype=np.float64)
        self.loss_sum = 0.0
        self.feature_sums = None
        self.feature_gram = None
        self.nc4_agree = None

    def _start(self, d):
        if self.d is None:
            self.d = d
            self.feature_sums = np.zeros((self.K, d), dtype=np.float64)
            self.feature_gram = np.zeros((d, d), dtype=np.float64)
        elif d != self.d:
            raise ValueError(f"features: {d} columns, earlier batches had {self.d}")

    def _check(self, h, y, W):
        h = _float64(h)
        if h.ndim != 2:
            raise ValueError(f"features: shape {h.shape}, want (batch, d)")
        y = _labels(y, h.shape[0])
        if y.size and (y.min() < 0 or y.max() >= self.K):
            raise ValueError(f"labels: value out of 0..{self.K - 1}")
        if W.shape != (self.K, h.shape[1]):
            raise ValueError(f"classifier: shape {W.shape}, want ({self.K}, {h.shape[1]})")
        return h, y

    def update(self, h, y, W, b=None):
        """Adds a batch: h (n x d) features, y (n) labels, W (K x d), b (K) or None."""
        W = _float64(W)
        b = None if b is None else _float64(b)
        h, y = self._check(h, y, W)
        self._start(h.shape[1])
        self.counts += np.bincount(y, minlength=self.K)
        np.add.at(self.feature_sums, y, h)
        self.feature_gram += h.T @ h
        np.add.at(self.norm_sq_sums, y, np.einsum("ij,ij->i", h, h))
        z = _logits(h, W, b)
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(s[:, 0])
        self.loss_sum += float(np.sum(lse - z[np.arange(len(y)), y]))
        np.add.at(self.softmax_sums, y, e / s)
        pred = z.argmax(axis=1)
        self.correct += np.bincount(y[pred == y], minlength=self.K)

    def means(self):
        """Class means mu_k = feature_sums[k] / counts[k] (float64); rows of
        classes without samples are NaN."""
        if self.d is None:
            raise ValueError("no batch accumulated")
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.feature_sums / self.counts[:, None]

    def update_nc4(self, h, y, W, b, means):
        """Adds a batch of the second pass: counts per class the samples whose
        predicted class (argmax of W h + b) is the nearest class mean."""
        W = _float64(W)
        b = None if b is None else _float64(b)
        h, y = self._check(h, y, W)
        if self.nc4_agree is None:
            self.nc4_agree = np.zeros(self.K, dtype=np.int64)
        present = self.counts > 0
        dist = np.full((h.shape[0], self.K), np.inf)
        for j in np.flatnonzero(present):
            diff = h - means[j]
            dist[:, j] = np.einsum("ic,ic->i", diff, diff)
        nearest = dist.argmin(axis=1)
        pred = _logits(h, W, b).argmax(axis=1)
        self.nc4_agree += np.bincount(y[pred == nearest], minlength=self.K)

    def result(self):
        if self.d is None:
            raise ValueError("no batch accumulated")
        out = dict(counts=self.counts.copy(), feature_sums=self.feature_sums.copy(),
                   feature_gram=self.feature_gram.copy(), norm_sq_sums=self.norm_sq_sums.copy(),
                   loss_sum=np.array(self.loss_sum, dtype=np.float64),
                   softmax_sums=self.softmax_sums.copy(), correct=self.correct.copy())
        if self.nc4_agree is not None:
            out["nc4_agree"] = self.nc4_agree.copy()
        return out

    @contextlib.contextmanager
    def hook(self, layer, means=None):
        """Registers a forward hook on `layer` (a linear layer: weight K x d,
        optional bias) that adds each batch's input to the sums (or, with
        `means`, to the NC4 pass). Yields a handle whose `labels` must be set to
        the batch's labels before each forward; removes the hook on exit."""
        handle = _Hook()

        def fn(module, inputs, output):
            if handle.labels is None:
                raise RuntimeError("ncstats hook: set labels before the forward pass")
            W, b = _layer_params(module)
            if means is None:
                self.update(inputs[0], handle.labels, W, b)
            else:
                self.update_nc4(inputs[0], handle.labels, W, b, means)
            handle.labels = None

        reg = layer.register_forward_hook(fn)
        try:
            yield handle
        finally:
            reg.remove()


def _batches(source):
    return source() if callable(source) else iter(source)


@torch.no_grad()
def collect(model, layer, batches, num_classes, nc4=True, device=None):
    """Runs `model` in eval mode over `batches` ((inputs, labels) pairs; a
    callable returning a fresh iterator, or a re-iterable such as a list or a
    DataLoader) with the hook on `layer`, and returns the statistics dict of
    the file format (with nc4_agree from a second pass when nc4 is true).
    The model's train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        acc = Accumulator(num_classes)
        for passno in (1, 2) if nc4 else (1,):
            means = None if passno == 1 else acc.means()
            with acc.hook(layer, means) as h:
                for x, y in _batches(batches):
                    if device is not None:
                        x = x.to(device)
                    h.labels = y
                    model(x)
        return acc.result()
    finally:
        model.train(was_training)


def save(path, stats, layer=None, epoch=None, classifier=None, bias=None):
    """Writes `stats` (from collect or Accumulator.result) to `path` as a
    compressed .npz with the classifier (from `layer`, or the arrays given) and
    the epoch. The classifier keeps the layer's dtype (float32 or float64)."""
    arrays = {k: stats[k] for k in KEYS if k in stats}
    if layer is not None:
        classifier = layer.weight.detach().cpu().numpy()
        if getattr(layer, "bias", None) is not None:
            bias = layer.bias.detach().cpu().numpy()
    if classifier is None:
        raise ValueError("save: need the classifier (layer or classifier=)")
    classifier = np.array(classifier)
    if classifier.dtype not in (np.float32, np.float64):
        raise ValueError(f"classifier: dtype {classifier.dtype}, want float32 or float64")
    arrays["classifier"] = classifier
    if bias is not None:
        arrays["bias"] = np.asarray(bias, dtype=classifier.dtype)
    if epoch is not None:
        arrays["epoch"] = np.array(int(epoch), dtype=np.int64)
    np.savez_compressed(path, **arrays)
