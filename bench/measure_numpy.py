#!/usr/bin/python3
"""The NumPy peer of `nccheck measure` (issue 16): the same metrics of one
.npz checkpoint, computed in float32 as fast as NumPy can, for
bench/measure.sh.

Usage:
  /usr/bin/python3 bench/measure_numpy.py generate FILE K   # the CIFAR-size file
  /usr/bin/python3 bench/measure_numpy.py measure FILE LAMBDA_W LAMBDA_H

generate writes, with numpy.savez (no compression), a seeded CIFAR-size
checkpoint: N = 50000 samples, d = 512 float32 ReLU-like features (about
half zero, class-dependent means), labels i mod K (int64), a float32
classifier 0.05 N(0, 1) (K x d) and epoch 200: 103 MB.

measure reads the file with the zip reader of Python (the CRC-32 of every
member checked, as numpy.load and nccheck do; each member read whole and
viewed in place, faster than numpy.load's copy) and computes every metric of
nccheck's metrics.Report that the data determine, in float32 (BLAS sgemm
for the products) with the K x K and K x d quantities in float64:
the cross-entropy and the objective, ||H||_F^2, ||W||_F^2, the accuracy,
the mean softmax probability per class, the class means and mu_G (weighted),
Hbar^T Hbar, W W^T, W Hbar, the margins, NC1 = tr(Sigma_W pinv(Sigma_B))/K
(through the pinv directions of Sigma_B, as nccheck), the within-class sums
and CDNV, NC4 (the classifier against the nearest class mean), NC2_W against
the imbalanced and the balanced rules, max |cos(mu_k, mu_l)|, equinorm,
equiangularity, self-duality, GNC2 and ||W mu_G + b||. The second pass runs
by chunks of 2048 rows into reused buffers (whole-array temporaries of
N x d are slower: fresh pages), and NC1 and the nearest class mean come from
one product with the K centred means, as in nccheck (d > K). It prints them and,
last, "numpy seconds: T" for the reading and the computation (the
interpreter's start and numpy's import excluded).
"""
import io
import sys
import time
import zipfile

import numpy as np


def generate(path, k):
    rng = np.random.default_rng(1)
    n, d = 50000, 512
    centers = rng.random((k, d)) * 2
    labels = np.arange(n) % k
    h = centers[labels] + 0.5 * rng.standard_normal((n, d)) - 0.8
    features = np.maximum(h, 0).astype(np.float32)
    w = (0.05 * rng.standard_normal((k, d))).astype(np.float32)
    np.savez(path, features=features, labels=labels.astype(np.int64), classifier=w, epoch=np.int64(200))


def read(zf, name):
    """The array of member name.npy: the member read whole (its CRC-32
    checked by zipfile) and viewed in place."""
    data = zf.read(name + ".npy")
    bio = io.BytesIO(data)
    version = np.lib.format.read_magic(bio)
    shape, fortran, dtype = np.lib.format._read_array_header(bio, version)
    a = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape)), offset=bio.tell())
    return a.reshape(shape, order="F" if fortran else "C")


def dist(a, b):
    return np.linalg.norm(a / np.linalg.norm(a) - b / np.linalg.norm(b))


def measure(path, lw, lh):
    t0 = time.perf_counter()
    with zipfile.ZipFile(path) as zf:
        h = read(zf, "features")
        y = read(zf, "labels")
        w64 = read(zf, "classifier").astype(np.float64)
        b = read(zf, "bias").astype(np.float32) if "bias.npy" in zf.namelist() else None
    h = np.ascontiguousarray(h, dtype=np.float32)
    n, d = h.shape
    k = w64.shape[0]
    assert d > k, "the peer's NC1 goes through the centred means: d > K only"
    w = w64.astype(np.float32)
    counts = np.bincount(y, minlength=k)

    # Pass 1: logits, cross-entropy, softmax, decisions, class sums, ||H||^2.
    z = h @ w.T
    if b is not None:
        z += b
    pred = z.argmax(axis=1)
    zmax = z[np.arange(n), pred]
    e = np.exp(z - zmax[:, None])
    s = e.sum(axis=1)
    loss = float(np.sum(np.log(s) + zmax - z[np.arange(n), y], dtype=np.float64)) / n
    onehot = np.zeros((n, k), dtype=np.float32)
    onehot[np.arange(n), y] = 1
    softmax_sums = onehot.T @ (e / s[:, None])
    sums = (onehot.T @ h).astype(np.float64)
    hsq = float(np.einsum("ij,ij->i", h, h).sum(dtype=np.float64))  # float32 rows, float64 total
    correct = np.bincount(y[pred == y], minlength=k)

    means = sums / counts[:, None]  # K x d (rows mu_k)
    g = counts @ means / n
    hth, wwt, wh = means @ means.T, w64 @ w64.T, w64 @ means.T  # wh[j, c] = (W mu_c)_j
    mc = means - g
    vals, vecs = np.linalg.eigh(mc @ mc.T / k)
    cut = np.abs(vals).max() * max(1e-15, d * np.finfo(np.float64).eps)
    keep = np.abs(vals) > cut
    coef = (vecs[:, keep] / (np.sqrt(k) * vals[keep])).astype(np.float32)  # pinv directions = Mc coef (d > K)
    sep = np.sum((means[:, None, :] - means[None, :, :]) ** 2, axis=2)

    # Pass 2, by chunks of rows into reused buffers: the centred features
    # c = h - mu_y, their products P = c (mu_j - mu_G) with the centred means,
    # NC1's projections P coef, the within-class sums and the nearest class
    # mean argmin_j ||mu_y - mu_j||^2 - 2 P_j (NC4).
    means32, mct = means.astype(np.float32), mc.T.astype(np.float32)
    chunk = 2048
    cbuf = np.empty((chunk, d), dtype=np.float32)
    nc1, within, agree = 0.0, np.zeros(k), np.zeros(k, dtype=np.int64)
    for i in range(0, n, chunk):
        yb = y[i:i + chunk]
        c = cbuf[:len(yb)]
        np.take(means32, yb, axis=0, out=c)
        np.subtract(h[i:i + chunk], c, out=c)
        p = c @ mct
        proj = p @ coef
        nc1 += float(np.einsum("ij,ij->", proj, proj, dtype=np.float64))
        within += np.bincount(yb, weights=np.einsum("ij,ij->i", c, c), minlength=k)
        near = (sep[yb] - 2 * p).argmin(axis=1)
        agree += np.bincount(yb[near == pred[i:i + chunk]], minlength=k)
    nc1 = nc1 / n / k

    # The report's metrics from the K x K and K x d quantities.
    diag = np.diag(wh)
    margins = diag - (wh.sum(axis=0) - diag) / (k - 1)
    rule = k * np.diag(np.sqrt(counts)) - np.outer(np.ones(k), np.sqrt(counts))
    balanced = np.eye(k) - 1.0 / k
    nrm = np.sqrt(np.diag(hth))
    cos = hth / np.outer(nrm, nrm)
    cn = np.linalg.norm(mc, axis=1)
    u = mc / cn[:, None]
    iu = np.triu_indices(k, 1)
    var = within / counts
    cos_c = (mc @ mc.T) / np.outer(cn, cn)
    off = ~np.eye(k, dtype=bool)
    logs = -0.5 * np.log(np.sum((u[:, None, :] - u[None, :, :]) ** 2, axis=2)[iu])
    wn = np.sqrt(np.diag(wwt))
    bias_rel = w64 @ g + (b.astype(np.float64) if b is not None else 0)
    out = {
        "objective": loss + lw / 2 * float(np.sum(w64 * w64)) + lh / 2 * hsq,
        "loss": loss,
        "accuracy": correct.sum() / n,
        "nc1": nc1,
        "nc4": agree.sum() / n,
        "nc2_w": dist(w64, rule @ means),
        "nc2_w_balanced": dist(w64, balanced @ means),
        "max_cos": np.abs(cos[iu]).max(),
        "equinorm_means": cn.std(ddof=1) / cn.mean(),
        "equinorm_classifier": wn.std(ddof=1) / wn.mean(),
        "equiangularity": np.abs(cos_c[off] + 1 / (k - 1)).mean(),
        "self_duality": np.sum((w64 / np.linalg.norm(w64) - mc / np.linalg.norm(mc)) ** 2),
        "cdnv": np.mean((var[:, None] + var[None, :])[iu] / (2 * sep[iu])),
        "gnc2": logs.var(),
        "bias_relation": np.linalg.norm(bias_rel),
        "margin_min": margins.min(),
        "probability_min": (np.diag(softmax_sums) / counts).min(),
        "cos_w_mu_min": (diag / (wn * nrm)).min(),
    }
    elapsed = time.perf_counter() - t0
    for key, v in out.items():
        print("%s: %.6g" % (key, v))
    print("numpy seconds: %.3f" % elapsed)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "measure":
        measure(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
