#!/usr/bin/python3
"""Independent NumPy float64 implementation of the theory.md section 2/8/10
measurements, for cross-checking `nccheck measure`.

Usage (Debian's interpreter, not the `python3` first on PATH):

    /usr/bin/python3 metrics.py DIR [--lambda-w X --lambda-h Y] [--per-class] [--json]

DIR holds epoch-XXXXX.npz checkpoints (features N x d, labels N, classifier K x d,
epoch) and normally a config.json from train.py giving lambda_w and lambda_h (theory.md's
normalisation, decimal strings; converted there for --loss-convention authors); the
flags override it (they are required when DIR has no config.json). Class counts
n_k come from the labels. All arithmetic is float64.

Columns of the table (one row per checkpoint):
  obj      section-1 objective (1/N) sum CE(W h_i, y_i) + lW/2 ||W||^2 + lH/2 ||H||^2
  f*       predicted optimal value (section 2); gap = (obj - f*)/max(1, |f*|), the
           relative gap as `nccheck measure` defines it (metrics.ObjectiveGap)
  acc      train accuracy (argmax of W h_i)
  NC1      tr(Sigma_W pinv(Sigma_B)) / K, pinv over the eigenvalues of Sigma_B above
           max(1e-15, d*eps) times the largest (--json also gives NC1_rankK1, the
           top-(K-1)-eigenvalue version of the authors' code, and NC1_numpy_pinv)
  NC2_H    dist(Hbar^T Hbar, diag(rho))
  NC2_W    dist(W, Wtilde), Wtilde_k = K sqrt(n_k) mu_k - sum_j sqrt(n_j) mu_j
  NC2_Wb   dist(W, rows mu_k - mean_j mu_j)       (balanced-theory target)
  NC2_WWT  dist(W W^T, (I-J/K) diag(gamma) (I-J/K))
  NC3_WH   dist(W Hbar, (I-J/K) diag(M))
  maxcos   max_{k != l} |cos(mu_k, mu_l)| over classes with mu != 0 (uncentred means)
  maxcosA  the same over the predicted-alive classes only
  Merr     max over predicted-alive k of |M_k^meas - M_k| / M_k,
           M_k^meas = (W mu_k)_k - mean_{j != k} (W mu_k)_j
  rhoerr   max over predicted-alive k of |rho_k^meas - rho_k| / rho_k, rho_k^meas = ||mu_k||^2
  dist(A, B) = || A/||A||_F - B/||B||_F ||_F (nan when a norm is 0).
--per-class adds, per checkpoint, per class: n_k, M_k measured/predicted, rho_k
measured/predicted, ||w_k||^2 measured/predicted, cos(w_k, mu_k) measured/predicted.
"""

import argparse
import glob
import json
import math
import os
import sys

import numpy as np


def predict(n, lw, lh):
    """Closed form of theory.md section 2 (bias-free UFM+), float64."""
    n = np.asarray(n, dtype=np.float64)
    K = len(n)
    N = n.sum()
    c = math.sqrt((K - 1) / K)
    beta = N * np.sqrt(lw * lh / n)
    arg = (K - 1) * (1.0 / (c * beta) - 1.0)
    alive = arg > 1.0
    M = np.where(alive, np.log(np.where(alive, arg, 1.0)), 0.0)
    rho = M * np.sqrt((K - 1) * lw / (K * lh * n))
    gamma = M * np.sqrt(K * lh * n / ((K - 1) * lw))
    wnorm2 = ((K - 1) ** 2 * gamma + (gamma.sum() - gamma)) / K ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        cos_wh = np.where(alive, ((K - 1) * M / K) / (np.sqrt(wnorm2) * np.sqrt(rho)), np.nan)
    if not alive.any():
        fstar = math.log(K)
    else:
        fstar = float(np.sum((n / N) * (np.log1p((K - 1) * np.exp(-M)) + c * beta * M)))
    threshold = K * N * N * lw * lh / (K - 1)
    return dict(K=K, N=N, M=M, rho=rho, gamma=gamma, wnorm2=wnorm2, cos_wh=cos_wh,
                alive=alive, fstar=fstar, threshold=threshold)


def dist(A, B):
    na, nb = np.linalg.norm(A), np.linalg.norm(B)
    if na == 0 or nb == 0:
        return float("nan")
    return float(np.linalg.norm(A / na - B / nb))


def measure(H, y, W, lw, lh):
    H = np.asarray(H, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    N, d = H.shape
    K = W.shape[0]
    n = np.bincount(y, minlength=K)
    if len(n) != K or (n == 0).any():
        raise ValueError(f"labels must cover 0..{K-1}, counts {n}")
    pr = predict(n, lw, lh)

    Z = H @ W.T
    zmax = Z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
    ce = lse - Z[np.arange(N), y]
    obj = ce.sum() / N + 0.5 * lw * np.sum(W * W) + 0.5 * lh * np.sum(H * H)
    acc = float(np.mean(Z.argmax(axis=1) == y))

    mu = np.stack([H[y == k].mean(axis=0) for k in range(K)])  # K x d (rows = mu_k)
    muG = H.mean(axis=0)
    C = H - mu[y]
    SigW = C.T @ C / N
    D = mu - muG
    SigB = D.T @ D / K
    # pinv over the eigenvalues of Sigma_B above max(1e-15, d*eps) * largest
    # (numpy.linalg.pinv's rcond raised to d*eps, so rounding noise of the rank-(K-1)
    # matrix is never inverted); NC1_rank: the top K-1 eigenvalues only (authors' svds).
    ev, U = np.linalg.eigh(SigB)
    q = np.einsum("ij,jk,ki->i", U.T, SigW, U)  # u_i^T Sigma_W u_i
    cut = np.max(np.abs(ev)) * max(1e-15, d * np.finfo(np.float64).eps)
    keep = np.abs(ev) > cut
    nc1 = float(np.sum(q[keep] / ev[keep]) / K) if keep.any() else float("nan")
    top = np.argsort(ev)[::-1][:K - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        nc1_rank = float(np.sum(q[top] / ev[top]) / K)  # inf/nan if Sigma_B has rank < K-1
    nc1_pinv = float(np.trace(SigW @ np.linalg.pinv(SigB)) / K)

    Hbar = mu.T  # d x K
    gram = Hbar.T @ Hbar
    I = np.eye(K)
    P = I - np.ones((K, K)) / K
    nc2h = dist(gram, np.diag(pr["rho"]))
    sq = np.sqrt(n.astype(np.float64))
    Wt = K * sq[:, None] * mu - (sq[:, None] * mu).sum(axis=0)[None, :]
    nc2w = dist(W, Wt)
    Wb = mu - mu.mean(axis=0)[None, :]
    nc2wb = dist(W, Wb)
    nc2wwt = dist(W @ W.T, P @ np.diag(pr["gamma"]) @ P)
    WH = W @ Hbar  # column k = W mu_k
    nc3 = dist(WH, P @ np.diag(pr["M"]))

    norms = np.linalg.norm(mu, axis=1)
    nz = norms > 0
    cosm = np.full((K, K), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        cosm = gram / np.outer(norms, norms)
    off = ~np.eye(K, dtype=bool)
    sel = off & np.outer(nz, nz)
    maxcos = float(np.max(np.abs(cosm[sel]))) if sel.any() else float("nan")
    al = pr["alive"]
    selA = sel & np.outer(al, al)
    maxcosA = float(np.max(np.abs(cosm[selA]))) if selA.any() else float("nan")

    Mm = np.array([WH[k, k] - (WH[:, k].sum() - WH[k, k]) / (K - 1) for k in range(K)])
    rhom = norms ** 2
    wn2 = np.sum(W * W, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        coswm = np.sum(W * mu, axis=1) / (np.sqrt(wn2) * norms)
    if al.any():
        Merr = float(np.max(np.abs(Mm[al] - pr["M"][al]) / pr["M"][al]))
        rhoerr = float(np.max(np.abs(rhom[al] - pr["rho"][al]) / pr["rho"][al]))
    else:
        Merr = rhoerr = float("nan")
    dead = int(np.sum(H.max(axis=0) <= 0))
    return dict(objective=float(obj), fstar=pr["fstar"], gap=float((obj - pr["fstar"]) / max(1.0, abs(pr["fstar"]))),
                acc=acc, NC1=nc1, NC1_rankK1=nc1_rank, NC1_numpy_pinv=nc1_pinv, SigmaB_rank=int(keep.sum()), NC2_H=nc2h, NC2_W=nc2w, NC2_W_balanced=nc2wb,
                NC2_WWT=nc2wwt, NC3_WH=nc3, maxcos=maxcos, maxcos_alive=maxcosA,
                margin_relerr=Merr, rho_relerr=rhoerr, dead_dims=dead,
                balance_ratio=float(lw * np.sum(W * W) / (lh * np.sum(H * H))) if np.sum(H * H) > 0 else float("nan"),
                n=n.tolist(), alive_pred=al.tolist(), threshold=pr["threshold"],
                M_meas=Mm.tolist(), M_pred=pr["M"].tolist(),
                rho_meas=rhom.tolist(), rho_pred=pr["rho"].tolist(),
                wnorm2_meas=wn2.tolist(), wnorm2_pred=pr["wnorm2"].tolist(),
                cos_wmu_meas=coswm.tolist(), cos_wmu_pred=pr["cos_wh"].tolist())


def main():
    p = argparse.ArgumentParser(description="float64 NumPy neural-collapse metrics")
    p.add_argument("dir")
    p.add_argument("--lambda-w", type=float)
    p.add_argument("--lambda-h", type=float)
    p.add_argument("--per-class", action="store_true")
    p.add_argument("--json", action="store_true", help="print one JSON object per checkpoint")
    a = p.parse_args()

    lw, lh = a.lambda_w, a.lambda_h
    cfgp = os.path.join(a.dir, "config.json")
    if os.path.exists(cfgp):
        with open(cfgp) as f:
            cfg = json.load(f)
        # train.py writes the lambdas of theory.md's normalisation as decimal strings
        lw = lw if lw is not None else float(cfg["lambda_w"])
        lh = lh if lh is not None else float(cfg["lambda_h"])
    if lw is None or lh is None:
        sys.exit("need --lambda-w and --lambda-h (no config.json)")
    files = sorted(glob.glob(os.path.join(a.dir, "epoch-*.npz")))
    if not files:
        sys.exit(f"no epoch-*.npz in {a.dir}")

    rows = []
    for fp in files:
        z = np.load(fp)
        r = measure(z["features"], z["labels"], z["classifier"], lw, lh)
        r["epoch"] = int(z["epoch"])
        r["file"] = os.path.basename(fp)
        rows.append(r)

    if a.json:
        for r in rows:
            print(json.dumps(r))
        return
    r0 = rows[0]
    print(f"# {a.dir}: lambda_W={lw:g} lambda_H={lh:g} n={r0['n']} N={sum(r0['n'])} "
          f"d={np.load(files[0])['features'].shape[1]}")
    print(f"# predicted: alive={sum(r0['alive_pred'])}/{len(r0['n'])} (collapse iff n_k <= {r0['threshold']:.6g}), "
          f"f*={r0['fstar']:.10g}")
    print("# M_pred   " + " ".join(f"{v:.5g}" for v in r0["M_pred"]))
    print("# rho_pred " + " ".join(f"{v:.5g}" for v in r0["rho_pred"]))
    hdr = ("epoch", "obj", "f*", "gap", "acc", "NC1", "NC2_H", "NC2_W", "NC2_Wb", "NC2_WWT",
           "NC3_WH", "maxcos", "maxcosA", "Merr", "rhoerr", "dead")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        vals = [str(r["epoch"]), f"{r['objective']:.6f}", f"{r['fstar']:.6f}", f"{r['gap']:.3e}",
                f"{r['acc']:.4f}"] + [f"{r[k]:.3e}" for k in
                                      ("NC1", "NC2_H", "NC2_W", "NC2_W_balanced", "NC2_WWT", "NC3_WH",
                                       "maxcos", "maxcos_alive", "margin_relerr", "rho_relerr")] + [str(r["dead_dims"])]
        print("| " + " | ".join(vals) + " |")
    if a.per_class:
        for r in rows:
            print(f"\n## epoch {r['epoch']} per class (lW||W||^2 / lH||H||^2 = {r['balance_ratio']:.4f})")
            print("| k | n_k | alive | M meas | M pred | rho meas | rho pred | |w|^2 meas | |w|^2 pred | cos(w,mu) meas | cos pred |")
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            for k in range(len(r["n"])):
                print(f"| {k} | {r['n'][k]} | {'yes' if r['alive_pred'][k] else 'no'} | "
                      f"{r['M_meas'][k]:.5g} | {r['M_pred'][k]:.5g} | {r['rho_meas'][k]:.5g} | {r['rho_pred'][k]:.5g} | "
                      f"{r['wnorm2_meas'][k]:.5g} | {r['wnorm2_pred'][k]:.5g} | {r['cos_wmu_meas'][k]:.5g} | "
                      f"{r['cos_wmu_pred'][k]:.5g} |")


if __name__ == "__main__":
    main()
