#!/usr/bin/python3
"""SciPy L-BFGS-B on the UFM+ training problem, for comparison with
nccheck/optimize (see optimize/BENCHMARKS.md).

Same objective and normalisation as theory.md section 1 (1/N on the
cross-entropy, 1/2 on every penalty), bias-free, H >= 0 as bounds, same
variable layout (W row-major, then H sample by sample) and the same
initialisation idea as optimize.InitialPoint: W ~ N(0, sw^2),
H ~ |N(0, sh^2)| with sw^2 d K lambda_W = sh^2 d N lambda_H and
sw sh sqrt(d) = 1 (NumPy's generator, so not the same bits as Go's).
Stopping rule: pgtol = tol, which for L-BFGS-B is
max_i |P(x - g)_i - x_i| = max(|grad_W|_inf, |min(H, grad_H)|_inf), the KKT
residual of theory.md section 5; ftol = 0 so that it does not stop on a
small relative decrease first.

Usage: /usr/bin/python3 bench/scipy_lbfgsb.py [SETTING ...] [--count 5] [--first-seed 1] [--tol 1e-10] [--maxcor 10] [--init-scale 1]
       /usr/bin/python3 bench/scipy_lbfgsb.py --counts 500,496,... --d 128 --lw 5e-4 --lh 5e-4 [...]
SETTING is one of the names in SETTINGS (a, b, c, the scale settings of
issue 10: k100, d512, k50, k200, and the quarter-size k100q). bench/cmp
runs this script beside nccheck's solver with explicit --counts.
Needs Debian's python3-scipy (apt-get install python3-scipy).
"""
import argparse
import math
import time

import numpy as np
from scipy.optimize import minimize

PAPER = [100, 100, 200, 200, 300, 300, 400, 400, 500, 500]
SETTINGS = {
    "a": dict(counts=[40, 20, 10, 5], d=8, lw=5e-3, lh=5e-3),
    "b": dict(counts=PAPER, d=16, lw=1e-4, lh=1e-5),
    "c": dict(counts=[10 * n for n in PAPER], d=16, lw=1e-4, lh=1e-5),
    # Issue 10 (must match bench/cmp/settings.go).
    "k100": dict(counts=[500 - 4 * k for k in range(100)], d=128, lw=5e-4, lh=5e-4),
    "k100q": dict(counts=[125 - k for k in range(100)], d=128, lw=1e-3, lh=1e-3),
    "d512": dict(counts=PAPER, d=512, lw=1e-4, lh=1e-5),
    "k50": dict(counts=[400 - 6 * k for k in range(50)], d=64, lw=2e-3, lh=6e-4),
    "k200": dict(counts=[200 - k for k in range(200)], d=160, lw=5e-4, lh=5e-4),
}


def fstar(counts, lw, lh):
    """Optimal value of theory.md section 2, only to report the gap."""
    K, N = len(counts), sum(counts)
    c = math.sqrt((K - 1) / K)
    f = 0.0
    for n in counts:
        beta = N * math.sqrt(lw * lh / n)
        a = (K - 1) * (1 / (c * beta) - 1)
        M = math.log(a) if a > 1 else 0.0
        f += n / N * (math.log1p((K - 1) * math.exp(-M)) + c * beta * M)
    return f


class Problem:
    def __init__(self, counts, d, lw, lh):
        self.K, self.d, self.N = len(counts), d, sum(counts)
        self.lw, self.lh = lw, lh
        self.y = np.repeat(np.arange(self.K), counts)
        self.nev = 0

    def split(self, x):
        K, d = self.K, self.d
        return x[: K * d].reshape(K, d), x[K * d:].reshape(self.N, d)  # W, H^T

    def fg(self, x):
        self.nev += 1
        W, Ht = self.split(x)
        Z = Ht @ W.T  # N x K logits
        m = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - m)
        s = E.sum(axis=1, keepdims=True)
        idx = np.arange(self.N)
        loss = (np.log(s[:, 0]) + m[:, 0] - Z[idx, self.y]).sum()
        G = E / s
        G[idx, self.y] -= 1
        G /= self.N
        f = loss / self.N + 0.5 * self.lw * (W * W).sum() + 0.5 * self.lh * (Ht * Ht).sum()
        gW = G.T @ Ht + self.lw * W
        gH = G @ W + self.lh * Ht
        return f, np.concatenate([gW.ravel(), gH.ravel()])

    def residual(self, x, g):
        kd = self.K * self.d
        return max(np.abs(g[:kd]).max(), np.abs(np.minimum(x[kd:], g[kd:])).max())

    def init(self, seed, scale=1.0):
        K, d, N = self.K, self.d, self.N
        ratio = math.sqrt(self.lh * N / (self.lw * K))
        prod = scale / math.sqrt(d)
        sw, sh = math.sqrt(prod * ratio), math.sqrt(prod / ratio)
        rng = np.random.default_rng(seed)
        return np.concatenate([sw * rng.standard_normal(K * d), np.abs(sh * rng.standard_normal(N * d))])


def zero_classes(p, x, counts):
    """Classes whose mean feature has norm <= 1e-6 of the largest."""
    _, Ht = p.split(x)
    means, o = [], 0
    for n in counts:
        means.append(np.linalg.norm(Ht[o:o + n].mean(axis=0)))
        o += n
    big = max(means)
    return sum(1 for m in means if m <= 1e-6 * big or big == 0)


def run(name, st, seed, tol, maxcor, scale):
    p = Problem(st["counts"], st["d"], st["lw"], st["lh"])
    x0 = p.init(seed, scale)
    kd = p.K * p.d
    bounds = [(None, None)] * kd + [(0, None)] * (p.N * p.d)
    t0 = time.perf_counter()
    r = minimize(p.fg, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                 options=dict(maxiter=100000, maxfun=100000, ftol=0.0, gtol=tol, maxcor=maxcor))
    dt = time.perf_counter() - t0
    f, g = p.fg(r.x)
    fs = fstar(st["counts"], st["lw"], st["lh"])
    return dict(setting=name, seed=seed, seconds=dt, evals=r.nfev, iters=r.nit, residual=p.residual(r.x, g),
                objective=f, relgap=(f - fs) / fs, zero=zero_classes(p, r.x, st["counts"]), message=str(r.message))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("settings", nargs="*")
    ap.add_argument("--counts", help="explicit class counts n_1,...,n_K (with --d, --lw, --lh)")
    ap.add_argument("--d", type=int)
    ap.add_argument("--lw", type=float)
    ap.add_argument("--lh", type=float)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--maxcor", type=int, default=10)
    ap.add_argument("--init-scale", type=float, default=1.0, help="multiplies the initial scales (0.01: a small start)")
    a = ap.parse_args()
    todo = [(name, SETTINGS[name]) for name in a.settings]
    if a.counts:
        todo.append(("explicit", dict(counts=[int(v) for v in a.counts.split(",")], d=a.d, lw=a.lw, lh=a.lh)))
    if not todo:
        todo = [(name, SETTINGS[name]) for name in ("a", "b", "c")]
    print("setting seed seconds evals iters residual objective relgap_to_fstar zero_classes message")
    for name, st in todo:
        for seed in range(a.first_seed, a.first_seed + a.count):
            r = run(name, st, seed, a.tol, a.maxcor, a.init_scale)
            print("{setting} {seed} {seconds:.4f} {evals} {iters} {residual:.3g} {objective:.17g} {relgap:.3g} {zero} {message}".format(**r), flush=True)


if __name__ == "__main__":
    main()
