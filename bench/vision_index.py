"""Where an HNSW graph (faiss) starts to beat one exact matrix product for listing photos.

Vectors are unit-length, 2,560-d (the size photo search uses), drawn around 500 "models" so
neighbours are meaningful. For each index size N: build time of the graph, median and p95
query time of both (k = 20), and the graph's recall@20 against the exact answer. The
crossover is the smallest N where the graph's median query is faster; vision/index.py
switches there (EXACT_UP_TO).

    .venv/bin/python bench/vision_index.py [--sizes 1000,5000,20000,50000,100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from support import say

from motormall.vision.index import VectorIndex

DIM = 2560


def vectors(n: int, centres: np.ndarray, rng) -> np.ndarray:
    """Photos of cars around their model's centre; queries come from the same models."""
    picked = centres[rng.integers(0, len(centres), n)]
    x = picked + 0.6 * rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def ms(samples) -> dict:
    a = np.array(samples) * 1000
    return {"median": round(float(np.median(a)), 3), "p95": round(float(np.percentile(a, 95)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,10000,20000,50000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(500, DIM)).astype(np.float32)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        data = vectors(n, centres, rng)
        queries = vectors(args.queries, centres, rng)
        exact = VectorIndex(data, range(n), exact_up_to=n)
        t0 = time.perf_counter()
        graph = VectorIndex(data, range(n), exact_up_to=0)
        build_s = time.perf_counter() - t0
        t_exact, t_graph, recall = [], [], []
        for q in queries:
            t0 = time.perf_counter()
            e = exact.search(q, 20)
            t1 = time.perf_counter()
            g = graph.search(q, 20)
            t2 = time.perf_counter()
            t_exact.append(t1 - t0)
            t_graph.append(t2 - t1)
            recall.append(len({i for i, _ in e} & {i for i, _ in g}) / 20)
        row = {
            "n": n,
            "exact_ms": ms(t_exact),
            "graph_ms": ms(t_graph),
            "graph_build_s": round(build_s, 2),
            "graph_recall_at_20": round(float(np.mean(recall)), 4),
            "memory_mb": round(data.nbytes / 2**20, 1),
        }
        rows.append(row)
        say(
            f"N={n:>7,}: exact median {row['exact_ms']['median']} ms, graph "
            f"{row['graph_ms']['median']} ms (recall {row['graph_recall_at_20']}, "
            f"built in {row['graph_build_s']} s)"
        )
    faster = [r["n"] for r in rows if r["graph_ms"]["median"] < r["exact_ms"]["median"]]
    result = {"dim": DIM, "k": 20, "rows": rows, "graph_faster_from": faster[0] if faster else None}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
