#!/usr/bin/python3
"""Train a network on an imbalanced Fashion-MNIST subset and write neural-collapse
checkpoints for `nccheck measure` (theory.md, the shared specification, sections 1, 8, 10).

Run with Debian's interpreter, NOT whatever `python3` is first on PATH:

    /usr/bin/python3 train.py --out runs/A --lambda-w 1e-3 --lambda-h 1e-5

Requirements (Debian packages, no downloads):

    apt-get install -y python3-torch python3-numpy dataset-fashion-mnist

Data: the idx files of dataset-fashion-mnist in /usr/share/datasets/fashion-mnist
(read with gzip + numpy). Pixels are scaled to [0, 1] and standardised with the
mean/std of the whole 60000-image training set (constants computed from the file).

Models (--arch), both with features h >= 0 (a ReLU on the feature layer) and a
classifier W (K x d) linear WITHOUT bias:
  mlp     784 -> hidden... -> d, ReLU after EVERY layer including the feature layer.
  resnet  a small residual network with batch normalisation on the 1 x 28 x 28 image:
          stem conv3x3 (widths[0], stride --stem-stride) + BN + ReLU; one stage per entry of --widths, each
          of --blocks basic blocks (conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU; the
          first block of every stage after the first has stride 2 and a 1x1-conv+BN
          shortcut); global average pooling; a linear feature layer widths[-1] -> d
          with bias, then ReLU.

Loss (--loss-convention):
  theory   (theory.md section 10) per mini-batch B:
               mean_{i in B} CE(W h_i, y_i) + (lambda_W/2) ||W||_F^2
                   + (N lambda_H / 2) mean_{i in B} ||h_i||^2,   N = training samples;
           an unbiased estimate of theory.md section 1's objective.
  authors  the released training script of the paper's authors (Fsoft-AIC/Cross-
           Entropy-Imbalanced, train_1st_order_unbalanced.py, loss_compute, lines 39-43):
               CE_mean/2 + (wd/2) ||W||_F^2 + (fd/2) sum_{i in B} ||h_i||^2
           with --wd and --fd. Averaged over the ceil(N/B) steps of an epoch (every
           sample once per epoch, batches reshuffled), twice this is section 1's
           objective with lambda_W = 2 wd and lambda_H = 2 fd / ceil(N/B)
           (= 2 fd B / N when B divides N); config.json records these converted values.
The backbone has NO weight decay (Adam's weight_decay is 0; as in the authors' script
with --sep_decay). Optimizer: Adam, learning rate decayed per step by a cosine from
--lr to 0 over all epochs.

Determinism: torch.manual_seed, a numpy Generator for the sample choice, a torch
Generator for the shuffling, torch.use_deterministic_algorithms(True) and a fixed
torch.set_num_threads: the same command gives the same checkpoints (on the same
machine / torch build / device).

Output in --out (written at every checkpoint epoch, so a run cut short keeps them):
    epoch-XXXXX.npz  (numpy.savez_compressed; unless --stats only) with
        features   N x d float32  features h (input of the classifier) of every
                                  training sample, eval mode
        labels     N     int64    class 0..K-1, same row order
        classifier K x d float32  W
        epoch      0-d   int64
    stats/epoch-XXXXX.npz  (--stats also; with --stats only they are written in --out
                     itself instead of the features): the sufficient statistics of
                     experiments/ncstats.py over the same data (full training set,
                     eval mode), NC4 agreement included.
    test/epoch-XXXXX.npz  (--test-split full) the same arrays for the 10000 images of
                     the Fashion-MNIST TEST split (t10k files, every image, 1000 per label,
                     standardised with the training-set constants), the same network at the
                     same epoch: features, labels, classifier (bit-identical to the training
                     checkpoint's), epoch. With --stats also/only the test statistics are in
                     stats/test/ (also) or test/ (only). A subdirectory, so that
                     `nccheck measure OUT` still reads the training checkpoints alone:
                     `nccheck measure --test OUT/test OUT`.
    config.json      everything that defines the run (see the README), rewritten at every
                     checkpoint with the log so far; a copy in stats/ when --stats also.
"""

import argparse
import decimal
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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ncstats  # noqa: E402  (experiments/ncstats.py)

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path, magic, header):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[0:4], "big")
    if got != magic:
        raise SystemExit(f"{path}: bad idx magic {got:#x}, want {magic:#x}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def load_fashion_mnist(data_dir, prefix="train"):
    """Images (n x 784 uint8) and labels (n int64) of the split `prefix` (train or t10k)."""
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), 0x801, 8)
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), 0x803, 16)
    if images.size != 784 * len(labels):
        raise SystemExit(f"{data_dir}: {prefix} images hold {images.size} bytes, want 784 x {len(labels)}")
    images = images.reshape(len(labels), 784)
    return images, labels.astype(np.int64)


def checkpoint_epochs(epochs, count, explicit):
    if explicit:
        eps = sorted({int(e) for e in explicit.split(",") if e.strip() != ""})
        for e in eps:
            if e < 0 or e > epochs:
                raise SystemExit(f"--checkpoint-epochs: epoch {e} outside 0..{epochs}")
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


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus shortcut, then ReLU (He et al. 2016)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetBackbone(nn.Module):
    def __init__(self, widths, blocks, d, stem_stride):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, stride=stem_stride, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages = []
        cin = widths[0]
        for s, w in enumerate(widths):
            for b in range(blocks):
                stages.append(BasicBlock(cin, w, 2 if (s > 0 and b == 0) else 1))
                cin = w
        self.stages = nn.Sequential(*stages)
        self.feature = nn.Linear(cin, d)  # then ReLU: h >= 0

    def forward(self, x):
        x = self.stages(self.stem(x.view(-1, 1, 28, 28)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.relu(self.feature(x))


class ResNet(nn.Module):
    def __init__(self, widths, blocks, d, K, stem_stride):
        super().__init__()
        self.backbone = ResNetBackbone(widths, blocks, d, stem_stride)
        self.classifier = nn.Linear(d, K, bias=False)  # W, no bias

    def forward(self, x):
        h = self.backbone(x)
        return h, self.classifier(h)


def eval_batches(X, y_np, chunk=1000):
    """(inputs, labels) over the whole training set in row order."""
    return lambda: ((X[i:i + chunk], y_np[i:i + chunk]) for i in range(0, X.shape[0], chunk))


@torch.no_grad()
def all_features(model, X, chunk=1000):
    was = model.training
    model.eval()
    out = [model.backbone(X[i:i + chunk]).cpu() for i in range(0, X.shape[0], chunk)]
    model.train(was)
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


def test_split(data_dir, K, mean, std, device):
    """The Fashion-MNIST test split (t10k files): every image with label < K, rows grouped
    by class (stable: file order within a class), standardised with the training-set
    mean and std. Returns (inputs on device, labels int64 numpy)."""
    images, labels = load_fashion_mnist(data_dir, "t10k")
    keep = np.flatnonzero(labels < K)
    keep = keep[np.argsort(labels[keep], kind="stable")]
    x = (images[keep].astype(np.float64) / 255.0 - mean) / std
    return torch.from_numpy(x.astype(np.float32)).to(device), labels[keep].astype(np.int64)


def positive_decimal(flag, text):
    """The decimal text of a positive finite number, or None; exits 2 on bad input."""
    if text is None:
        return None
    try:
        v = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        raise SystemExit(f"train.py: {flag} {text!r}: not a decimal number") from None
    if not v.is_finite() or v <= 0:
        raise SystemExit(f"train.py: {flag} {text!r}: must be a finite positive number")
    return v


def decimal_text(v):
    """Plain decimal text of a Decimal (at most 40 significant digits)."""
    with decimal.localcontext() as c:
        c.prec = 40
        return str(+v)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", default="100,100,200,200,300,300,400,400,500,500",
                   help="comma list n_k of training images per class (class k = Fashion-MNIST label k)")
    p.add_argument("--arch", choices=("mlp", "resnet"), default="mlp")
    p.add_argument("--loss-convention", choices=("theory", "authors"), default="theory",
                   help="theory: theory.md section 10 with --lambda-w/--lambda-h; "
                        "authors: the authors' released loss with --wd/--fd")
    p.add_argument("--lambda-w", help="lambda_W of theory.md (decimal), --loss-convention theory")
    p.add_argument("--lambda-h", help="lambda_H of theory.md (decimal), --loss-convention theory")
    p.add_argument("--wd", help="the authors' --weight_decay (decimal), --loss-convention authors")
    p.add_argument("--fd", help="the authors' --feature_decay_rate (decimal), --loss-convention authors")
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam; cosine decay to 0 over all steps")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", default="512,512", help="mlp: hidden widths before the feature layer")
    p.add_argument("--widths", default="16,32,64", help="resnet: channels of the stages")
    p.add_argument("--blocks", type=int, default=1, help="resnet: basic blocks per stage")
    p.add_argument("--stem-stride", type=int, default=2, help="resnet: stride of the stem convolution "
                   "(2: stages at 14x14, 7x7, 4x4)")
    p.add_argument("--dim", type=int, default=64, help="feature dimension d (>= K)")
    p.add_argument("--checkpoints", type=int, default=0,
                   help="0: epochs 0,1,2,5,10,20,50,... and the last; n>0: n log-spaced epochs plus 0 and the last")
    p.add_argument("--checkpoint-epochs", default="",
                   help="explicit comma list of epochs (overrides --checkpoints; the last epoch is always added)")
    p.add_argument("--stats", choices=("off", "also", "only"), default="off",
                   help="sufficient-statistics checkpoints (experiments/ncstats.py): also = in OUT/stats/ "
                        "beside the features checkpoints; only = in OUT instead of them")
    p.add_argument("--test-split", choices=("off", "full"), default="off",
                   help="full: also write OUT/test/epoch-XXXXX.npz at every checkpoint, the same network's "
                        "features of the whole Fashion-MNIST test split (10000 images, 1000 per class k < K)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--data-dir", default=DATA_DIR)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    try:
        check_args(a)
    except SystemExit as e:
        p.exit(2, f"{e}\n")
    return a


def check_args(a):
    a.counts_list = [int(c) for c in a.counts.split(",")]
    K = len(a.counts_list)
    if K > 10 or K < 2:
        raise SystemExit(f"train.py: --counts: {K} classes, need 2..10")
    if a.dim < K:
        raise SystemExit(f"train.py: --dim {a.dim}: must be >= K = {K}")
    if a.epochs < 1 or a.batch_size < 1 or a.threads < 1:
        raise SystemExit("train.py: --epochs, --batch-size and --threads must be >= 1")
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("train.py: --device cuda: CUDA is not available (torch.cuda.is_available() is False)")
    theory = (a.lambda_w, a.lambda_h)
    authors = (a.wd, a.fd)
    if a.loss_convention == "theory":
        if None in theory or authors != (None, None):
            raise SystemExit("train.py: --loss-convention theory needs --lambda-w and --lambda-h (not --wd/--fd)")
    elif None in authors or theory != (None, None):
        raise SystemExit("train.py: --loss-convention authors needs --wd and --fd (not --lambda-w/--lambda-h)")
    a.lambda_w_dec = positive_decimal("--lambda-w", a.lambda_w)
    a.lambda_h_dec = positive_decimal("--lambda-h", a.lambda_h)
    a.wd_dec = positive_decimal("--wd", a.wd)
    a.fd_dec = positive_decimal("--fd", a.fd)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main():
    a = parse_args()
    t_start = time.time()
    if a.device == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    device = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    counts = a.counts_list
    K = len(counts)
    images, labels = load_fashion_mnist(a.data_dir)
    x_all = images.astype(np.float64) / 255.0
    mean, std = x_all.mean(), x_all.std()
    idx = []
    for k, n in enumerate(counts):
        pool = np.flatnonzero(labels == k)
        if n < 1 or n > len(pool):
            raise SystemExit(f"train.py: --counts: class {k}: count {n} not in 1..{len(pool)}")
        idx.append(np.sort(rng.choice(pool, size=n, replace=False)))
    idx = np.concatenate(idx)  # rows grouped by class, classes in order 0..K-1
    X = torch.from_numpy(((x_all[idx] - mean) / std).astype(np.float32)).to(device)
    y_np = labels[idx].astype(np.int64)
    y = torch.from_numpy(y_np).to(device)
    N = len(idx)
    if a.test_split == "full":
        X_test, y_test = test_split(a.data_dir, K, mean, std, device)

    steps_per_epoch = math.ceil(N / a.batch_size)
    if a.loss_convention == "theory":
        lw_dec, lh_dec = a.lambda_w_dec, a.lambda_h_dec
        conversion = "none (theory.md section 10 loss)"
    else:
        lw_dec = 2 * a.wd_dec
        with decimal.localcontext() as c:
            c.prec = 60
            lh_dec = 2 * a.fd_dec / steps_per_epoch
        conversion = (f"lambda_W = 2 wd = 2*{a.wd}; lambda_H = 2 fd / ceil(N/B) = 2*{a.fd}/{steps_per_epoch}"
                      + ("" if N % a.batch_size == 0 else " (rounded to 40 digits)"))
    lw, lh = float(lw_dec), float(lh_dec)

    if a.arch == "mlp":
        hidden = [int(h) for h in a.hidden.split(",") if h.strip() != ""]
        model = MLP(hidden, a.dim, K)
        arch_text = (f"MLP 784-{'-'.join(map(str, hidden + [a.dim]))}, ReLU after every layer incl. the "
                     f"feature layer; classifier {K}x{a.dim} linear, no bias")
    else:
        widths = [int(w) for w in a.widths.split(",") if w.strip() != ""]
        model = ResNet(widths, a.blocks, a.dim, K, a.stem_stride)
        arch_text = (f"ResNet: stem conv3x3 1->{widths[0]} stride {a.stem_stride} BN ReLU; stages {widths} x {a.blocks} basic "
                     f"block(s) (stride 2 from the second stage), BN; global average pooling; linear "
                     f"{widths[-1]}->{a.dim} + ReLU (features); classifier {K}x{a.dim} linear, no bias")
    model = model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)  # no weight_decay anywhere
    total_steps = steps_per_epoch * a.epochs
    shuffle_gen = torch.Generator().manual_seed(a.seed + 1)

    ck = checkpoint_epochs(a.epochs, a.checkpoints, a.checkpoint_epochs)
    os.makedirs(a.out, exist_ok=True)
    stats_dir = a.out if a.stats == "only" else os.path.join(a.out, "stats")
    if a.stats == "also":
        os.makedirs(stats_dir, exist_ok=True)
    if a.test_split == "full":
        test_dir = os.path.join(a.out, "test")
        test_stats_dir = os.path.join(stats_dir, "test")
        os.makedirs(test_dir if a.stats != "only" else test_stats_dir, exist_ok=True)
        if a.stats == "also":
            os.makedirs(test_stats_dir, exist_ok=True)
    log = []

    cfg = dict(
        counts=counts, K=K, N=N, d=a.dim,
        lambda_w=decimal_text(lw_dec), lambda_h=decimal_text(lh_dec),
        loss_convention=a.loss_convention,
        authors_wd=None if a.wd is None else a.wd, authors_fd=None if a.fd is None else a.fd,
        lambda_conversion=conversion,
        arch=a.arch, architecture=arch_text, parameters=n_params,
        hidden=a.hidden if a.arch == "mlp" else None,
        widths=a.widths if a.arch == "resnet" else None,
        blocks=a.blocks if a.arch == "resnet" else None,
        stem_stride=a.stem_stride if a.arch == "resnet" else None,
        seed=a.seed, epochs=a.epochs, batch_size=a.batch_size, lr=a.lr,
        steps_per_epoch=steps_per_epoch, total_steps=total_steps,
        device=str(device), threads=torch.get_num_threads(),
        dataset=os.path.join(a.data_dir, "train-images-idx3-ubyte.gz"),
        checkpoint_epochs=ck, stats=a.stats,
        test_split=a.test_split,
        test_dataset=(os.path.join(a.data_dir, "t10k-images-idx3-ubyte.gz") if a.test_split == "full" else None),
        test_N=(len(y_test) if a.test_split == "full" else None),
        test_counts=(np.bincount(y_test, minlength=K).tolist() if a.test_split == "full" else None),
        loss=("mean_B CE(W h_i, y_i) + (lambda_W/2)||W||_F^2 + (N lambda_H/2) mean_B ||h_i||^2"
              if a.loss_convention == "theory" else
              "mean_B CE(W h_i, y_i)/2 + (wd/2)||W||_F^2 + (fd/2) sum_B ||h_i||^2 (authors' loss_compute)"),
        optimizer="Adam (default betas/eps), lr cosine-decayed per step to 0, weight_decay 0; "
                  "mini-batches from a seeded permutation every epoch (last one partial)",
        preprocessing=f"pixels/255, standardised with training-set mean {mean:.6f} std {std:.6f}",
        sample_choice=("per class k: numpy default_rng(seed).choice(indices of label k, n_k, replace=False), "
                       "sorted; rows grouped by class"),
        torch_version=torch.__version__, numpy_version=np.__version__,
        python=sys.version.split()[0], machine=platform.platform(),
        status="running", wall_time_s=None, log=log,
    )

    def save_config():
        write_json(os.path.join(a.out, "config.json"), cfg)
        if a.stats == "also":
            write_json(os.path.join(stats_dir, "config.json"), cfg)

    def test_checkpoint(epoch, name, W):
        """Writes the test split's checkpoint(s) of this epoch; returns the test accuracy."""
        Ht = all_features(model, X_test).numpy().astype(np.float32)
        if a.stats != "only":
            np.savez_compressed(os.path.join(test_dir, name), features=Ht, labels=y_test, classifier=W,
                                epoch=np.array(epoch, dtype=np.int64))
        if a.stats != "off":
            # no nc4_agree: ncstats' NC4 is against the split's own means, measure's against the
            # training means, which statistics cannot give
            st = ncstats.collect(model, model.classifier, eval_batches(X_test, y_test), K, nc4=False)
            ncstats.save(os.path.join(test_stats_dir, name), st, model.classifier, epoch=epoch)
        Z = Ht.astype(np.float64) @ W.astype(np.float64).T
        return float(np.mean(Z.argmax(axis=1) == y_test))

    def checkpoint(epoch):
        Ht = all_features(model, X)
        H = Ht.numpy().astype(np.float32)
        W = model.classifier.weight.detach().cpu().numpy().astype(np.float32).copy()
        name = f"epoch-{epoch:05d}.npz"
        if a.stats != "only":
            np.savez_compressed(os.path.join(a.out, name), features=H, labels=y_np, classifier=W,
                                epoch=np.array(epoch, dtype=np.int64))
        if a.stats != "off":
            st = ncstats.collect(model, model.classifier, eval_batches(X, y_np), K, nc4=True)
            ncstats.save(os.path.join(stats_dir, name), st, model.classifier, epoch=epoch)
        test_acc = None
        if a.test_split == "full":
            test_acc = test_checkpoint(epoch, name, W)
        f, ce, acc = objective64(H, y_np, W, lw, lh)
        dead = int(np.sum(H.max(axis=0) <= 0))
        el = time.time() - t_start
        entry = dict(epoch=epoch, objective=f, mean_ce=ce, train_acc=acc,
                     dead_features=dead, elapsed_s=round(el, 2))
        if test_acc is not None:
            entry["test_acc"] = test_acc
        log.append(entry)
        save_config()
        print(f"epoch {epoch:5d}  objective {f:.6f}  CE {ce:.6f}  train_acc {acc:.4f}  "
              + ("" if test_acc is None else f"test_acc {test_acc:.4f}  ")
              + f"dead_dims {dead:3d}/{a.dim}  elapsed {el:8.1f}s", flush=True)
        if not np.isfinite(f):
            print("non-finite objective", flush=True)

    print(f"N={N} K={K} counts={counts} d={a.dim} arch={a.arch} ({n_params} parameters) "
          f"loss={a.loss_convention} lambda_W={cfg['lambda_w']} lambda_H={cfg['lambda_h']} "
          f"epochs={a.epochs} batch={a.batch_size} lr={a.lr} seed={a.seed} "
          f"device={device} threads={torch.get_num_threads()} torch={torch.__version__}", flush=True)
    print(f"checkpoints at epochs {ck}", flush=True)

    if 0 in ck:
        checkpoint(0)
    step = 0
    model.train()
    wd, fd = (float(a.wd_dec), float(a.fd_dec)) if a.loss_convention == "authors" else (None, None)
    for epoch in range(1, a.epochs + 1):
        perm = torch.randperm(N, generator=shuffle_gen).to(device)
        for s in range(0, N, a.batch_size):
            b = perm[s:s + a.batch_size]
            lr_now = 0.5 * a.lr * (1.0 + math.cos(math.pi * step / total_steps))
            for g in opt.param_groups:
                g["lr"] = lr_now
            h, z = model(X[b])
            W = model.classifier.weight
            if a.loss_convention == "theory":
                loss = (F.cross_entropy(z, y[b])
                        + 0.5 * lw * (W * W).sum()
                        + 0.5 * N * lh * (h * h).sum(dim=1).mean())
            else:
                loss = (F.cross_entropy(z, y[b]) / 2
                        + 0.5 * wd * (W * W).sum()
                        + 0.5 * fd * (h * h).sum())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        if epoch == 1:
            print(f"epoch 1 took {time.time() - t_start:.1f}s (incl. start-up)", flush=True)
        if epoch in ck:
            checkpoint(epoch)

    wall = time.time() - t_start
    cfg["status"] = "done"
    cfg["wall_time_s"] = round(wall, 2)
    save_config()
    print(f"done: wall time {wall:.1f}s, output {a.out}", flush=True)


if __name__ == "__main__":
    main()
