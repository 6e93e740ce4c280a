#!/usr/bin/python3
"""Figures comparing runs side by side from `nccheck measure --classes --format json`.

    nccheck measure --lambda-w 1e-3 --lambda-h 1e-5 --classes --format json runs/A > A-mlp.json
    /usr/bin/python3 plot_compare.py --out figures/A --title "configuration A" MLP=A-mlp.json ResNet=A-resnet.json

writes OUT-metrics.png (one panel per run: the relative objective gap and the
section-8 metrics against the epoch, log-log, epoch 0 and zero values left out, the
legend outside the panels) and OUT-classes.png (per class at each run's last
checkpoint: measured and predicted rho_k = ||mu_k||^2 and M_k against n_k).
(--svg: also .svg). Needs python3-matplotlib. 1600 x 600 and 1600 x 900 px.
"""

import argparse
import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXTS = ("png",)
SERIES = (  # (JSON key, label, colour, marker)
    ("objective_gap", r"gap $(f-f^*)/\max(1,|f^*|)$", "black", "o"),
    ("nc1", r"NC1", "tab:blue", "s"),
    ("nc2_h", r"NC2$_H$", "tab:orange", "^"),
    ("nc2_w", r"NC2$_W$ (imbalanced)", "tab:green", "v"),
    ("nc2_w_balanced", r"NC2$_W$ (balanced target)", "tab:olive", "<"),
    ("nc2_wwt", r"NC2$_{WW^T}$", "tab:purple", ">"),
    ("nc3_wh", r"NC3$_{WH}$", "tab:red", "D"),
    ("max_cos", r"max $|\cos(\mu_k,\mu_l)|$", "tab:brown", "P"),
    ("margin_error", r"margin error", "tab:cyan", "X"),
)


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    rows.sort(key=lambda r: (r.get("epoch") is None, r.get("epoch") or 0))
    return rows


def number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def value(row, key):
    if key == "objective_gap":
        return number(row.get(key))
    return number((row.get("metrics") or {}).get(key))


def metrics_figure(runs, title, out):
    fig, axes = plt.subplots(1, len(runs), figsize=(16, 6), sharey=True, squeeze=False)
    for ax, (name, rows) in zip(axes[0], runs):
        for key, label, colour, marker in SERIES:
            pts = [(r["epoch"], value(r, key)) for r in rows if r.get("epoch")]
            pts = [(e, v) for e, v in pts if v is not None and v > 0]
            if pts:
                ax.plot(*zip(*pts), color=colour, marker=marker, markersize=5, linewidth=1.3, label=label)
        epochs = [r["epoch"] for r in rows if r.get("epoch")]
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("epoch (log scale)")
        ax.set_title(f"{name}: {title}")
        ax.grid(True, which="major", alpha=0.3)
        if epochs:
            ax.set_xlim(min(epochs) / 1.3, max(epochs) * 1.3)
    axes[0][0].set_ylabel("metric value (dimensionless, log scale)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.84, 0.5), frameon=False)
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    for ext in EXTS:
        fig.savefig(f"{out}-metrics.{ext}", dpi=100)
    plt.close(fig)


def classes_figure(runs, title, out):
    fig, axes = plt.subplots(2, 2, figsize=(16, 9), sharex=True, squeeze=False)
    colours = ("tab:blue", "tab:red", "tab:green", "tab:purple")
    markers = ("o", "s", "^", "D")
    quantities = (("feature_norm_sq", "predicted_feature_norm_sq", r"$\rho_k = \|\mu_k\|^2$"),
                  ("margin", "predicted_margin", r"margin $M_k$"))
    for i, (name, rows) in enumerate(runs):
        last = rows[-1]
        cls = last.get("classes") or []
        for col, (meas, pred, ylabel) in enumerate(quantities):
            n = [c["n"] for c in cls]
            axes[0][col].scatter(n, [c[meas] for c in cls], color=colours[i], marker=markers[i], s=45,
                                 alpha=0.8, label=f"{name}: measured, epoch {last.get('epoch')}")
            rel = [(c["n"], (c[meas] - c[pred]) / c[pred]) for c in cls if c[pred]]
            if rel:
                axes[1][col].scatter(*zip(*rel), color=colours[i], marker=markers[i], s=45, alpha=0.8)
            axes[0][col].set_ylabel(ylabel)
            axes[1][col].set_ylabel("(measured - predicted) / predicted")
    cls = runs[0][1][-1].get("classes") or []
    for col, (meas, pred, ylabel) in enumerate(quantities):
        pts = sorted({(c["n"], c[pred]) for c in cls})
        axes[0][col].scatter([p[0] for p in pts], [p[1] for p in pts], color="black", marker="x", s=90,
                             label="predicted (theory.md section 2)")
        axes[1][col].axhline(0, color="black", linewidth=1)
        axes[1][col].set_xlabel(r"class size $n_k$")
        for r in (0, 1):
            axes[r][col].grid(True, alpha=0.3)
    axes[0][0].set_title(f"{title}: feature norms, last checkpoint")
    axes[0][1].set_title(f"{title}: margins, last checkpoint")
    axes[1][0].set_title("relative deviation (alive classes)")
    axes[1][1].set_title("relative deviation (alive classes)")
    handles, labels = axes[0][1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.76, 0.5), frameon=False)
    fig.tight_layout(rect=(0, 0, 0.76, 1))
    for ext in EXTS:
        fig.savefig(f"{out}-classes.{ext}", dpi=100)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description="side-by-side figures of nccheck measure JSON outputs")
    p.add_argument("--out", required=True, help="path prefix of the figures")
    p.add_argument("--title", default="")
    p.add_argument("--svg", action="store_true", help="write SVG beside the PNG")
    p.add_argument("runs", nargs="+", help="NAME=FILE.json (nccheck measure --classes --format json)")
    a = p.parse_args()
    global EXTS
    EXTS = ("png", "svg") if a.svg else ("png",)
    runs = []
    for spec in a.runs:
        if "=" not in spec:
            p.error(f"{spec!r}: want NAME=FILE.json")
        name, path = spec.split("=", 1)
        runs.append((name, load(path)))
    metrics_figure(runs, a.title, a.out)
    classes_figure(runs, a.title, a.out)


if __name__ == "__main__":
    main()
