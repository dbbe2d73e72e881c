#!/usr/bin/env python3
"""Cross-checks `bench umap`'s quality figures against the reference implementations. Not run in CI.

    SAE_BENCH_UMAP_DUMP=/tmp/umap-dump SAE_BENCH_UMAP_SIZES=8192 SAE_BENCH_UMAP_SAMPLE=1024 \
      SAE_BENCH_UMAP_FAMILY=/path/to/family npm run bench -- umap
    /usr/bin/python3 bench/umap-quality.py /tmp/umap-dump

Needs NumPy, scikit-learn and pynndescent (Debian bookworm: apt-get install python3-sklearn
python3-pynndescent; umap-learn itself is not packaged there). For each case the bench dumped
(x.f32 data, xy.f32 its 2-D layout, knn.i32 the app's neighbour graph, sample.i32, meta.json) it prints:
  - the recall of the app's graph, recomputed here, beside pynndescent's (umap-learn's neighbour
    search) on the same data, same k, same sample and the same rule (a neighbour tied with the true
    (k-1)-th counts as found);
  - the trustworthiness of the app's 2-D layout, recomputed here: by sklearn.manifold.trustworthiness
    when every point was sampled (then it is sklearn's figure exactly), else by the same sample estimate.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
from pynndescent import NNDescent
from sklearn.manifold import trustworthiness


def unit_rows(x):
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def recall(unit, graph, sample, k):
    found = 0
    for i in sample:
        dist = 1.0 - unit @ unit[i]
        dist[i] = np.inf
        kth = np.partition(dist, k - 2)[k - 2]
        neighbours = [j for j in graph[i] if j != i][: k - 1]
        found += int(np.sum(dist[neighbours] <= kth))
    return found / (len(sample) * (k - 1))


def sampled_trustworthiness(unit, xy, sample, k):
    n = len(unit)
    penalty = 0
    for i in sample:
        high = 1.0 - unit @ unit[i]
        high[i] = np.inf
        low = np.sum((xy - xy[i]) ** 2, axis=1)
        low[i] = np.inf
        high_kth = np.partition(high, k - 1)[k - 1]
        low_kth = np.partition(low, k - 1)[k - 1]
        for j in np.nonzero((low <= low_kth) & (high > high_kth))[0]:
            penalty += 1 + int(np.sum(high < high[j])) - k
    return 1 - 2.0 / (len(sample) * k * (2 * n - 3 * k - 1)) * penalty


def main(dump):
    for case in sorted(p for p in Path(dump).iterdir() if (p / "meta.json").exists()):
        meta = json.loads((case / "meta.json").read_text())
        n, d, k, tk = meta["n"], meta["d"], meta["k"], meta["trust_k"]
        x = np.fromfile(case / "x.f32", dtype=np.float32).reshape(n, d)
        xy = np.fromfile(case / "xy.f32", dtype=np.float32).reshape(n, 2)
        graph = np.fromfile(case / "knn.i32", dtype=np.int32).reshape(n, k)
        sample = np.fromfile(case / "sample.i32", dtype=np.int32)
        unit = unit_rows(x.astype(np.float64))
        started = time.time()
        pynn, _ = NNDescent(x, metric="cosine", n_neighbors=k, random_state=meta["seed"]).neighbor_graph
        pynn_s = time.time() - started
        if len(sample) == n:
            trust, how = trustworthiness(x, xy, n_neighbors=tk, metric="cosine"), "sklearn, all points"
        else:
            trust, how = sampled_trustworthiness(unit, xy.astype(np.float64), sample, tk), f"same estimate, {len(sample)} points"
        print(f"{case.name}: n {n}, d {d}, k {k}")
        print(f"  recall       app {meta['recall']:.4f} (recomputed {recall(unit, graph, sample, k):.4f}); pynndescent {recall(unit, pynn, sample, k):.4f} in {pynn_s:.1f} s (JIT included)")
        print(f"  trust. k={tk}  app {meta['trustworthiness']:.4f}; here {trust:.4f} ({how})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: umap-quality.py DUMP_DIR (written by SAE_BENCH_UMAP_DUMP=DIR npm run bench -- umap)")
    main(sys.argv[1])
