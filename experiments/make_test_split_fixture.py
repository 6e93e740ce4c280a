#!/usr/bin/python3
"""Regenerates testdata/measure/test-split/ (read by the Go tests without Python): one
epoch of a short real run of experiments/fashion-mnist/train.py with --test-split full
and --stats also, i.e. a training checkpoint and the same network's test-split checkpoint,
each as features and as statistics, plus the test-split measurements computed here in
NumPy float64 (independently of the Go code) for the test to compare with.

    /usr/bin/python3 experiments/make_test_split_fixture.py      (from the repo root)

The run: Fashion-MNIST, K = 3 classes (labels 0, 1, 2) with training counts 20, 30, 40,
MLP 784-64-8, bias-free classifier, lambda_W = 1e-3, lambda_H = 1e-5, 30 epochs, checkpoint
at epoch 30, seed 0, 1 thread. The test split is every test image of labels 0..2 (3000).
K = 3 and d = 8 keep the test features (3000 x 8 float32) small.

Files:
  features.npz, stats.npz            the training checkpoint (epoch-00030.npz, stats/...)
  test-features.npz, test-stats.npz  the test split (test/epoch-00030.npz, stats/test/...)
  config.json                        the run's, without log, wall_time_s, machine, status
  expected.json                      from features.npz and test-features.npz, NumPy float64:
      n, loss (mean cross-entropy), accuracy, nc4 (argmax_j (W h)_j = argmin_j ||h - mu_j||,
      mu_j the TRAINING class means, ties to the lowest index), nc1 (tr(Sigma_W' pinv
      Sigma_B) / K, Sigma_W' of the test features about the training means, Sigma_B of the
      training set about its weighted global mean, pinv over the eigenvalues above
      max(1e-15, d eps) times the largest), per class n, accuracy, nc4.
Needs Debian's /usr/bin/python3 with python3-torch, python3-numpy and dataset-fashion-mnist.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(here, "..", "testdata", "measure", "test-split")
EPOCH = "epoch-00030.npz"


def run(out):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, os.path.join(here, "fashion-mnist", "train.py"), "--out", tmp,
               "--counts", "20,30,40", "--lambda-w", "1e-3", "--lambda-h", "1e-5",
               "--epochs", "30", "--checkpoint-epochs", "30", "--hidden", "64", "--dim", "8",
               "--seed", "0", "--threads", "1", "--stats", "also", "--test-split", "full"]
        subprocess.run(cmd, check=True)
        for src, dst in ((EPOCH, "features.npz"), (os.path.join("stats", EPOCH), "stats.npz"),
                         (os.path.join("test", EPOCH), "test-features.npz"),
                         (os.path.join("stats", "test", EPOCH), "test-stats.npz")):
            shutil.copyfile(os.path.join(tmp, src), os.path.join(out, dst))
        with open(os.path.join(tmp, "config.json")) as f:
            cfg = json.load(f)
    for k in ("log", "wall_time_s", "machine", "status"):
        cfg.pop(k, None)
    write_json(os.path.join(out, "config.json"), cfg)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def load(path):
    with np.load(path) as z:
        return (z["features"].astype(np.float64), z["labels"].astype(np.int64),
                z["classifier"].astype(np.float64))


def expected(out):
    H, y, W = load(os.path.join(out, "features.npz"))
    T, t, Wt = load(os.path.join(out, "test-features.npz"))
    if not np.array_equal(W, Wt):
        raise SystemExit("the test split's classifier differs from the training checkpoint's")
    K, d = W.shape
    N, n = len(y), len(t)
    mu = np.stack([H[y == k].mean(axis=0) for k in range(K)])
    D = mu - H.mean(axis=0)
    sig_b = D.T @ D / K
    C = T - mu[t]
    sig_w = C.T @ C / n
    ev, U = np.linalg.eigh(sig_b)
    keep = np.abs(ev) > np.max(np.abs(ev)) * max(1e-15, d * np.finfo(np.float64).eps)
    q = np.einsum("ji,jk,ki->i", U, sig_w, U)
    nc1 = float(np.sum(q[keep] / ev[keep]) / K)
    Z = T @ W.T
    m = Z.max(axis=1, keepdims=True)
    ce = m[:, 0] + np.log(np.exp(Z - m).sum(axis=1)) - Z[np.arange(n), t]
    pred = Z.argmax(axis=1)
    dist = np.stack([((T - mu[j]) ** 2).sum(axis=1) for j in range(K)], axis=1)
    agree = pred == dist.argmin(axis=1)
    correct = pred == t
    classes = [dict(n=int(np.sum(t == k)), accuracy=float(np.mean(correct[t == k])),
                    nc4=float(np.mean(agree[t == k]))) for k in range(K)]
    return dict(train_n=N, n=n, loss=float(ce.mean()), accuracy=float(correct.mean()),
                nc4=float(agree.mean()), nc1=nc1, classes=classes)


def main():
    os.makedirs(OUT, exist_ok=True)
    run(OUT)
    write_json(os.path.join(OUT, "expected.json"), expected(OUT))
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):8d}  {name}")


if __name__ == "__main__":
    main()
