#!/usr/bin/python3
"""Tests of ncstats.py against a direct float64 NumPy computation from the
features, and a checker for a (features, stats) checkpoint pair.

    /usr/bin/python3 -m unittest experiments/test_ncstats.py      (from the repo root)
    /usr/bin/python3 experiments/test_ncstats.py FEATURES.npz STATS.npz

The second form recomputes every statistic from the features checkpoint
(features, labels, classifier, optional bias) and prints the largest relative
difference per array; exit status 1 if one exceeds 1e-12 or a count differs.
"""

import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ncstats  # noqa: E402


def direct(H, y, W, b=None, K=None):
    """Every statistic of the ncstats format from the features, written out
    independently (loops over samples where the module vectorises)."""
    H = np.asarray(H, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    K = W.shape[0] if K is None else K
    N, d = H.shape
    out = dict(counts=np.zeros(K, np.int64), feature_sums=np.zeros((K, d)),
               feature_gram=np.zeros((d, d)), norm_sq_sums=np.zeros(K),
               softmax_sums=np.zeros((K, K)), correct=np.zeros(K, np.int64),
               nc4_agree=np.zeros(K, np.int64))
    loss = 0.0
    for i in range(N):
        h, k = H[i], int(y[i])
        out["counts"][k] += 1
        out["feature_sums"][k] += h
        out["feature_gram"] += np.outer(h, h)
        out["norm_sq_sums"][k] += h @ h
        z = W @ h + (0 if b is None else np.asarray(b, np.float64))
        m = z.max()
        p = np.exp(z - m)
        loss += m + np.log(p.sum()) - z[k]
        out["softmax_sums"][k] += p / p.sum()
        out["correct"][k] += int(np.argmax(z) == k)
    out["loss_sum"] = np.array(loss)
    present = out["counts"] > 0
    mu = np.zeros((K, d))
    mu[present] = out["feature_sums"][present] / out["counts"][present, None]
    for i in range(N):
        h, k = H[i], int(y[i])
        z = W @ h + (0 if b is None else np.asarray(b, np.float64))
        dist = [np.sum((h - mu[j]) ** 2) if present[j] else np.inf for j in range(K)]
        out["nc4_agree"][k] += int(np.argmax(z) == int(np.argmin(dist)))
    return out


def compare(ref, got, tol=1e-12):
    """Largest relative difference per array (counts compared exactly)."""
    worst = {}
    for key, r in ref.items():
        g = np.asarray(got[key])
        if r.dtype.kind == "i":
            worst[key] = 0.0 if np.array_equal(r, g) else float("inf")
            continue
        scale = max(np.max(np.abs(r)), 1e-300)
        worst[key] = float(np.max(np.abs(r - g)) / scale)
    return worst


class Net(torch.nn.Module):
    def __init__(self, d, K, bias):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(5, d), torch.nn.ReLU())
        self.classifier = torch.nn.Linear(d, K, bias=bias)

    def forward(self, x):
        return self.classifier(self.body(x))


class TestNCStats(unittest.TestCase):
    def run_case(self, bias, K=4, d=6, N=37, zero_rows=0):
        torch.manual_seed(1)
        net = Net(d, K, bias)
        x = torch.randn(N, 5)
        y = np.arange(N) % K
        if zero_rows:  # samples whose features are exactly 0 (all logits equal without bias)
            with torch.no_grad():
                net.body[0].bias[:] = -100.0 * (torch.arange(d) < d)
                net.body[0].weight[:] = 0
        batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, N, 8)]
        st = ncstats.collect(net, net.classifier, batches, K, nc4=True)
        with torch.no_grad():
            H = net.body(x).numpy()
        b = None if not bias else net.classifier.bias.detach().numpy()
        ref = direct(H, y, net.classifier.weight.detach().numpy(), b)
        for key, err in compare(ref, st).items():
            self.assertLessEqual(err, 1e-12, key)
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "s.npz")
            ncstats.save(p, st, net.classifier, epoch=3)
            z = np.load(p)
            self.assertEqual(z["counts"].dtype, np.int64)
            self.assertEqual(z["feature_gram"].dtype, np.float64)
            self.assertEqual(z["loss_sum"].shape, ())
            self.assertEqual(int(z["epoch"]), 3)
            self.assertEqual(z["classifier"].dtype, np.float32)
            self.assertEqual("bias" in z.files, bias)
        return st, ref

    def test_bias_free(self):
        self.run_case(bias=False)

    def test_bias(self):
        self.run_case(bias=True)

    def test_all_features_zero(self):
        st, ref = self.run_case(bias=False, zero_rows=1)
        # h = 0 for every sample: all logits 0, argmax ties to class 0; every mean is 0,
        # the nearest mean ties to class 0 too, so every sample agrees.
        self.assertEqual(st["correct"].tolist(), [10, 0, 0, 0])
        self.assertEqual(st["nc4_agree"].tolist(), st["counts"].tolist())
        self.assertAlmostEqual(float(st["loss_sum"]), 37 * np.log(4), places=12)

    def test_eval_mode_restored(self):
        net = Net(3, 2, False)
        net.train()
        ncstats.collect(net, net.classifier, [(torch.randn(4, 5), np.array([0, 1, 0, 1]))], 2)
        self.assertTrue(net.training)

    def test_bad_labels(self):
        acc = ncstats.Accumulator(2)
        with self.assertRaises(ValueError):
            acc.update(np.ones((3, 2)), np.array([0, 1, 2]), np.ones((2, 2)))


def check_pair(features_path, stats_path):
    f = np.load(features_path)
    s = np.load(stats_path)
    b = f["bias"] if "bias" in f.files else None
    ref = direct(f["features"], f["labels"], f["classifier"], b, K=f["classifier"].shape[0])
    if "nc4_agree" not in s.files:
        ref.pop("nc4_agree")
    worst = compare(ref, s)
    for k, v in worst.items():
        print(f"{k:14s} max rel diff {v:.3e}")
    same_w = np.array_equal(f["classifier"], s["classifier"])
    print(f"classifier identical: {same_w}")
    return 0 if same_w and max(worst.values()) <= 1e-12 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3:
        sys.exit(check_pair(sys.argv[1], sys.argv[2]))
    unittest.main()
