#!/usr/bin/python3
"""Compare two `nccheck measure --format json` outputs checkpoint by checkpoint (matched by
epoch): for every numeric field (nested keys joined by '.', list entries by index, per-class
fields as classes.K.key, test-split fields as test.key) the largest relative difference
|a - b| / max(|a|, |b|) over the checkpoints, and every field that is a number in one file
and null (or absent) in the other, with the file where it is missing. Decimal strings
(predicted_objective, lambdas) compare as numbers; other strings are ignored.

    /usr/bin/python3 compare_measure.py features.json stats.json
"""

import json
import sys


def flatten(obj, prefix, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            flatten(v, f"{prefix}.{i}", out)
    elif isinstance(obj, bool):
        out[prefix] = float(obj)
    elif isinstance(obj, (int, float)):
        out[prefix] = float(obj)
    elif obj is None:
        out[prefix] = None
    elif isinstance(obj, str):
        try:
            out[prefix] = float(obj)
        except ValueError:
            pass


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            flat = {}
            flatten(r, "", flat)
            rows[r["epoch"]] = flat
    return rows


def generic(key):
    """The key with class and list indices replaced by '*'."""
    return ".".join("*" if p.isdigit() else p for p in key.split("."))


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: compare_measure.py A.json B.json")
    a, b = load(sys.argv[1]), load(sys.argv[2])
    if sorted(a, key=str) != sorted(b, key=str):
        raise SystemExit(f"epochs differ: {sorted(a, key=str)} vs {sorted(b, key=str)}")
    worst, only = {}, {}
    for ep in a:
        fa, fb = a[ep], b[ep]
        for key in sorted(set(fa) | set(fb)):
            va, vb = fa.get(key), fb.get(key)
            g = generic(key)
            if va is None and vb is None:
                continue
            if va is None or vb is None:
                only.setdefault(g, set()).add(sys.argv[1] if va is None else sys.argv[2])
                continue
            scale = max(abs(va), abs(vb))
            rel = 0.0 if scale == 0 else abs(va - vb) / scale
            if rel > worst.get(g, (-1, None))[0]:
                worst[g] = (rel, ep)
    print(f"{len(a)} checkpoints; largest relative difference per field (epoch):")
    for g, (rel, ep) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        print(f"  {rel:9.2e}  {g}  (epoch {ep})")
    for g, files in sorted(only.items()):
        print(f"  null or absent in {', '.join(sorted(files))}: {g}")


if __name__ == "__main__":
    main()
