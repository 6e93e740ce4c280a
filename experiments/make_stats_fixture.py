#!/usr/bin/python3
"""Regenerates testdata/measure/stats/ (read by the Go tests without Python):
pairs of a features checkpoint and the ncstats statistics checkpoint of the
same data, so a test can check that `nccheck measure` gives the same numbers
from either.

    /usr/bin/python3 experiments/make_stats_fixture.py      (from the repo root)

Pairs written:
  mlp-features.npz, mlp-stats.npz, config.json
      a short real run of experiments/fashion-mnist/train.py (--stats also):
      Fashion-MNIST, counts 20,20,30,30,40,40,50,50,60,60 (N = 400), MLP
      784-128-16, bias-free classifier, lambda_W = 1e-3, lambda_H = 1e-5,
      5 epochs, checkpoint at epoch 5, seed 0, 1 thread; config.json is the
      run's, without the machine-specific fields.
  bias-features.npz, bias-stats.npz
      a tiny seeded network with a classifier BIAS (K = 3, d = 4, N = 24,
      float64 features and classifier) on seeded random inputs, whose
      features are exactly 0 for the 8 samples of class 2 and for 2 samples
      of class 0: class 2's mean is exactly 0, and a zero row's logits are
      the bias (0.25, -0.5, 0.125).
Needs Debian's /usr/bin/python3 with python3-torch, python3-numpy and
dataset-fashion-mnist. Bit-identical output is expected with the same torch
build, BLAS (Debian's default libblas3) and machine type.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import ncstats  # noqa: E402

OUT = os.path.join(here, "..", "testdata", "measure", "stats")


def real_pair(out):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, os.path.join(here, "fashion-mnist", "train.py"), "--out", tmp,
               "--counts", "20,20,30,30,40,40,50,50,60,60", "--lambda-w", "1e-3", "--lambda-h", "1e-5",
               "--epochs", "5", "--checkpoint-epochs", "5", "--hidden", "128", "--dim", "16",
               "--seed", "0", "--threads", "1", "--stats", "also"]
        subprocess.run(cmd, check=True)
        shutil.copyfile(os.path.join(tmp, "epoch-00005.npz"), os.path.join(out, "mlp-features.npz"))
        shutil.copyfile(os.path.join(tmp, "stats", "epoch-00005.npz"), os.path.join(out, "mlp-stats.npz"))
        with open(os.path.join(tmp, "config.json")) as f:
            cfg = json.load(f)
    for k in ("log", "wall_time_s", "machine", "status"):
        cfg.pop(k, None)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU())
        self.classifier = torch.nn.Linear(4, 3, bias=True)

    def forward(self, x):
        return self.classifier(self.body(x))


def bias_pair(out):
    torch.manual_seed(7)
    net = Tiny().double()
    y = np.repeat(np.arange(3), 8)  # 8 samples per class
    x = torch.randn(24, 6, dtype=torch.float64)
    with torch.no_grad():
        net.classifier.bias[:] = torch.tensor([0.25, -0.5, 0.125], dtype=torch.float64)
        # zero features: the inputs of class 2 and of two class-0 samples are 0 and every
        # first-layer bias is negative, so their ReLU features are exactly 0
        zero = np.r_[np.flatnonzero(y == 2), [0, 1]]
        x[zero] = 0
        net.body[0].bias[:] = -torch.abs(net.body[0].bias)
    with torch.no_grad():
        H = net.body(x).numpy()
    assert np.all(H[zero] == 0), "zero rows are not zero"
    st = ncstats.collect(net, net.classifier, [(x[i:i + 10], y[i:i + 10]) for i in range(0, 24, 10)], 3)
    ncstats.save(os.path.join(out, "bias-stats.npz"), st, net.classifier, epoch=1)
    np.savez_compressed(os.path.join(out, "bias-features.npz"), features=H, labels=y.astype(np.int64),
                        classifier=net.classifier.weight.detach().numpy(),
                        bias=net.classifier.bias.detach().numpy(), epoch=np.array(1, dtype=np.int64))


def main():
    os.makedirs(OUT, exist_ok=True)
    real_pair(OUT)
    bias_pair(OUT)
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):8d}  {name}")


if __name__ == "__main__":
    main()
