#!/usr/bin/python3
"""OpenBLAS GEMM rates and NumPy memory bandwidth on this machine, for the
limit analysis of optimize/BENCHMARKS.md (issue 10).

Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/numpy_rates.py
       OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_rates.py
Prints the best of 5 runs: a 2000^2 product, the three products of one
evaluation (logits H W^T, feature gradients G W, classifier gradient G^T H)
for the K = 100, d = 512 and N = 30000 settings, and copy/add/dot over
400 MB arrays.
"""
import time

import numpy as np


def best(f, reps=5):
    t = 1e9
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


rng = np.random.default_rng(1)
n = 2000
A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
print("square %d: %.1f GFlop/s" % (n, 2 * n ** 3 / best(lambda: A @ B) / 1e9))
for name, (N, d, K) in {"k100": (30200, 128, 100), "d512": (3000, 512, 10), "N=30000 d=16": (30000, 16, 10)}.items():
    H, W, G = rng.standard_normal((N, d)), rng.standard_normal((K, d)), rng.standard_normal((N, K))
    fl = 2 * N * d * K
    print("%s: H W^T %.1f, G W %.1f, G^T H %.1f GFlop/s" % (
        name, fl / best(lambda: H @ W.T) / 1e9, fl / best(lambda: G @ W) / 1e9, fl / best(lambda: G.T @ H) / 1e9))
m = 50_000_000
a, b, c = np.ones(m), np.ones(m), np.empty(m)
print("copy %.1f GB/s" % (16 * m / best(lambda: np.copyto(c, a)) / 1e9))
print("add %.1f GB/s" % (24 * m / best(lambda: np.add(a, b, out=c)) / 1e9))
print("dot %.1f GB/s" % (16 * m / best(lambda: a.dot(b)) / 1e9))
