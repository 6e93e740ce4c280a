#!/usr/bin/python3
"""Train an MLP on an imbalanced Fashion-MNIST subset and write neural-collapse
checkpoints for `nccheck measure` (see /work/shared/theory.md, sections 1, 8, 10).

Run with Debian's interpreter, NOT whatever `python3` is first on PATH:

    /usr/bin/python3 train.py --out /work/runs/fashion-mnist-A \
        --lambda-w 1e-3 --lambda-h 1e-5

Requirements (Debian packages, no downloads):

    apt-get install -y python3-torch python3-numpy dataset-fashion-mnist

Data: the idx files of dataset-fashion-mnist in /usr/share/datasets/fashion-mnist
(read with gzip + numpy). Pixels are scaled to [0, 1] and standardised with the
mean/std of the whole 60000-image training set (constants computed from the file).

Model: MLP 784 -> hidden... -> d with ReLU after EVERY hidden layer including the
last one, so the penultimate features h (input of the classifier) are >= 0; the
classifier W (K x d) is linear WITHOUT bias.

Loss (theory.md section 10), per mini-batch B:
    mean_{i in B} CE(W h_i, y_i) + (lambda_W/2) ||W||_F^2
        + (N lambda_H / 2) mean_{i in B} ||h_i||^2,        N = number of training samples.
The backbone (all layers before W) has NO weight decay; there is no optimizer
weight_decay anywhere (the W penalty is the explicit term above). Optimizer: Adam,
learning rate decayed per step by a cosine from --lr to 0 over all epochs.

Determinism: torch.manual_seed, a numpy Generator for the sample choice, a torch
Generator for the shuffling, torch.use_deterministic_algorithms(True) and a fixed
torch.set_num_threads (default 2): the same command gives the same checkpoints
(on the same machine / torch build).

Output in --out:
    epoch-XXXXX.npz  (numpy.savez_compressed) with
        features   N x d float32  penultimate features (after the ReLU) of every
                                  training sample, eval mode
        labels     N     int64    class 0..K-1, same row order
        classifier K x d float32  W
        epoch      0-d   int64
    config.json      all arguments, counts, seed, torch version, checkpoint
                     epochs, per-checkpoint log, wall time.
"""

import argparse
import gzip
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path, magic, header):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[0:4], "big")
    if got != magic:
        raise SystemExit(f"{path}: bad idx magic {got:#x}, want {magic:#x}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def load_fashion_mnist(data_dir):
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), 0x801, 8)
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), 0x803, 16)
    images = images.reshape(len(labels), 784)
    return images, labels.astype(np.int64)


def checkpoint_epochs(epochs, count, explicit):
    if explicit:
        eps = sorted({int(e) for e in explicit.split(",") if e.strip() != ""})
        for e in eps:
            if e < 0 or e > epochs:
                raise SystemExit(f"checkpoint epoch {e} outside 0..{epochs}")
        if epochs not in eps:
            eps.append(epochs)
        return eps
    if count <= 0:
        # 1-2-5 series: 0, 1, 2, 5, 10, 20, 50, ... plus the last epoch
        eps = {0, epochs}
        m = 1
        while m <= epochs:
            for f in (1, 2, 5):
                if f * m <= epochs:
                    eps.add(f * m)
            m *= 10
        return sorted(eps)
    # `count` log-spaced epochs in 1..epochs (rounded, deduplicated), plus init 0
    eps = {0, epochs}
    if count > 1:
        for x in np.geomspace(1, epochs, count):
            eps.add(int(round(x)))
    return sorted(eps)


class MLP(nn.Module):
    def __init__(self, hidden, d, K):
        super().__init__()
        layers = []
        prev = 784
        for h in list(hidden) + [d]:
            layers += [nn.Linear(prev, h), nn.ReLU()]
            prev = h
        self.backbone = nn.Sequential(*layers)  # ReLU after the last one too: h >= 0
        self.classifier = nn.Linear(d, K, bias=False)  # W, no bias

    def forward(self, x):
        h = self.backbone(x)
        return h, self.classifier(h)


@torch.no_grad()
def all_features(model, X, chunk=1000):
    model.eval()
    out = [model.backbone(X[i:i + chunk]) for i in range(0, X.shape[0], chunk)]
    model.train()
    return torch.cat(out, 0)


def objective64(H, y, W, lw, lh):
    """theory.md section 1 (bias-free) in float64 numpy; returns (f, mean CE, acc)."""
    H = H.astype(np.float64)
    W = W.astype(np.float64)
    Z = H @ W.T
    zmax = Z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
    ce = lse - Z[np.arange(len(y)), y]
    N = len(y)
    f = ce.sum() / N + 0.5 * lw * np.sum(W * W) + 0.5 * lh * np.sum(H * H)
    acc = float(np.mean(Z.argmax(axis=1) == y))
    return float(f), float(ce.mean()), acc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", default="100,100,200,200,300,300,400,400,500,500",
                   help="comma list n_k of training images per class (class k = Fashion-MNIST label k)")
    p.add_argument("--lambda-w", type=float, required=True)
    p.add_argument("--lambda-h", type=float, required=True)
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam; cosine decay to 0 over all steps")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", default="512,512", help="hidden widths before the feature layer")
    p.add_argument("--dim", type=int, default=64, help="feature dimension d (>= K)")
    p.add_argument("--checkpoints", type=int, default=0,
                   help="0: epochs 0,1,2,5,10,20,50,... and the last; n>0: n log-spaced epochs plus 0 and the last")
    p.add_argument("--checkpoint-epochs", default="",
                   help="explicit comma list of epochs (overrides --checkpoints; the last epoch is always added)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default=DATA_DIR)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    t_start = time.time()
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    counts = [int(c) for c in a.counts.split(",")]
    K = len(counts)
    hidden = [int(h) for h in a.hidden.split(",") if h.strip() != ""]
    if K > 10 or K < 2:
        raise SystemExit("need 2..10 classes")
    if a.dim < K:
        raise SystemExit(f"--dim {a.dim} must be >= K = {K}")
    if a.lambda_w <= 0 or a.lambda_h <= 0:
        raise SystemExit("lambdas must be > 0")

    images, labels = load_fashion_mnist(a.data_dir)
    x_all = images.astype(np.float64) / 255.0
    mean, std = x_all.mean(), x_all.std()
    idx = []
    for k, n in enumerate(counts):
        pool = np.flatnonzero(labels == k)
        if n < 1 or n > len(pool):
            raise SystemExit(f"class {k}: count {n} not in 1..{len(pool)}")
        idx.append(np.sort(rng.choice(pool, size=n, replace=False)))
    idx = np.concatenate(idx)  # rows grouped by class, classes in order 0..K-1
    X = torch.from_numpy(((x_all[idx] - mean) / std).astype(np.float32))
    y_np = labels[idx].astype(np.int64)
    y = torch.from_numpy(y_np)
    N = len(idx)

    model = MLP(hidden, a.dim, K)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)  # no weight_decay anywhere
    steps_per_epoch = math.ceil(N / a.batch_size)
    total_steps = steps_per_epoch * a.epochs
    shuffle_gen = torch.Generator().manual_seed(a.seed + 1)

    ck = checkpoint_epochs(a.epochs, a.checkpoints, a.checkpoint_epochs)
    os.makedirs(a.out, exist_ok=True)
    lw, lh = a.lambda_w, a.lambda_h
    log = []

    def checkpoint(epoch):
        H = all_features(model, X).numpy().astype(np.float32)
        W = model.classifier.weight.detach().numpy().astype(np.float32).copy()
        path = os.path.join(a.out, f"epoch-{epoch:05d}.npz")
        np.savez_compressed(path, features=H, labels=y_np, classifier=W,
                            epoch=np.array(epoch, dtype=np.int64))
        f, ce, acc = objective64(H, y_np, W, lw, lh)
        dead = int(np.sum(H.max(axis=0) <= 0))
        el = time.time() - t_start
        rec = dict(epoch=epoch, objective=f, mean_ce=ce, train_acc=acc,
                   dead_features=dead, elapsed_s=round(el, 2))
        log.append(rec)
        print(f"epoch {epoch:5d}  objective {f:.6f}  CE {ce:.6f}  train_acc {acc:.4f}  "
              f"dead_dims {dead:3d}/{a.dim}  elapsed {el:8.1f}s", flush=True)
        if not np.isfinite(f):
            print("non-finite objective", flush=True)

    print(f"N={N} K={K} counts={counts} d={a.dim} hidden={hidden} lW={lw} lH={lh} "
          f"epochs={a.epochs} batch={a.batch_size} lr={a.lr} seed={a.seed} "
          f"threads={torch.get_num_threads()} torch={torch.__version__}", flush=True)
    print(f"checkpoints at epochs {ck}", flush=True)

    if 0 in ck:
        checkpoint(0)
    step = 0
    model.train()
    for epoch in range(1, a.epochs + 1):
        perm = torch.randperm(N, generator=shuffle_gen)
        for s in range(0, N, a.batch_size):
            b = perm[s:s + a.batch_size]
            lr_now = 0.5 * a.lr * (1.0 + math.cos(math.pi * step / total_steps))
            for g in opt.param_groups:
                g["lr"] = lr_now
            h, z = model(X[b])
            W = model.classifier.weight
            loss = (F.cross_entropy(z, y[b])
                    + 0.5 * lw * (W * W).sum()
                    + 0.5 * N * lh * (h * h).sum(dim=1).mean())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        if epoch in ck:
            checkpoint(epoch)

    wall = time.time() - t_start
    cfg = dict(vars(a))
    cfg.update(dict(
        counts_list=counts, K=K, N=N, d=a.dim, hidden_list=hidden,
        lambda_W=lw, lambda_H=lh, checkpoint_epoch_list=ck,
        steps_per_epoch=steps_per_epoch, total_steps=total_steps,
        model=f"MLP 784-{'-'.join(map(str, hidden))}-{a.dim}, ReLU after every hidden layer incl. the feature layer; classifier {K}x{a.dim} linear, no bias",
        loss="mean_B CE(W h_i, y_i) + (lambda_W/2)||W||_F^2 + (N lambda_H/2) mean_B ||h_i||^2; no weight decay on the backbone",
        optimizer="Adam (default betas/eps), lr cosine-decayed per step to 0, weight_decay 0",
        preprocessing=f"pixels/255, standardised with training-set mean {mean:.6f} std {std:.6f}",
        sample_choice="per class k: numpy default_rng(seed).choice(indices of label k, n_k, replace=False), sorted; rows grouped by class",
        torch_version=torch.__version__, numpy_version=np.__version__,
        python=sys.version.split()[0], python_executable=sys.executable,
        machine=platform.platform(), threads=torch.get_num_threads(),
        wall_time_s=round(wall, 2), log=log,
    ))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    print(f"done: wall time {wall:.1f}s, output {a.out}", flush=True)


if __name__ == "__main__":
    main()
