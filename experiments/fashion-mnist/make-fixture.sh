#!/bin/sh
# Regenerates testdata/measure/fashion-mnist/ (the Go tests read it without Python):
# a short seeded run of configuration A's kind (counts 100..500, N = 3000, d = 64,
# lambda_W = 1e-3, lambda_H = 1e-5), 30 epochs, checkpoints at epochs 1, 10, 30.
# Needs Debian's /usr/bin/python3 with python3-torch, python3-numpy and
# dataset-fashion-mnist (apt-get install -y python3-torch python3-numpy dataset-fashion-mnist).
# Bit-identical output is expected on the same torch build and machine type.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../testdata/measure/fashion-mnist"
rm -rf "$out"
/usr/bin/python3 "$here/train.py" --out "$out" \
    --counts 100,100,200,200,300,300,400,400,500,500 \
    --lambda-w 1e-3 --lambda-h 1e-5 --epochs 30 --checkpoint-epochs 1,10,30 \
    --lr 1e-3 --batch-size 128 --hidden 512,512 --dim 64 --seed 0 --threads 2
# keep the inputs only: drop the per-checkpoint log (Python-computed objective values)
# and the machine-specific fields from config.json
/usr/bin/python3 - "$out/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
for k in ("log", "wall_time_s", "machine", "status"):
    c.pop(k, None)
json.dump(c, open(p, "w"), indent=2)
PY
du -b "$out"/*
du -sb "$out"
