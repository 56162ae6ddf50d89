"""Nearest neighbours by cosine similarity over unit vectors (dealers' listing photos).

Below `EXACT_UP_TO` vectors one exact matrix product; above it an HNSW graph (faiss). Measured
by `bench/vision_index.py` (2,560-d, k = 20, 2-core machine): the graph answers faster from
about 5,000 vectors (1.3 vs 1.4 ms; 1.4 vs 5.0 ms at 20,000; 0.8 vs 12 ms at 50,000, recall
0.99-1.0), but building it takes 4 s at 5,000 and 15 s at 20,000 (every server process
builds it when it starts searching; new photos are then appended). Up to 20,000 the exact
search costs at most 5 ms of a ~110 ms photo search, so the switch sits there.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

EXACT_UP_TO = 20_000


class VectorIndex:
    def __init__(self, vectors: np.ndarray, ids: Sequence[int], *, exact_up_to: int = EXACT_UP_TO):
        self.ids = np.asarray(ids)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.exact_up_to = exact_up_to
        self.graph = None
        self.lock = threading.Lock()  # faiss may not search while it grows
        if len(self.ids) > exact_up_to:
            import faiss

            self.graph = faiss.IndexHNSWFlat(self.vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
            self.graph.hnsw.efConstruction = 80
            self.graph.add(self.vectors)
            self.graph.hnsw.efSearch = 96
            self.vectors = None  # faiss keeps its own copy

    def extended(self, vectors: np.ndarray, ids: Sequence[int]) -> VectorIndex:
        """A new index with these vectors added (the old one keeps serving meanwhile). The
        graph grows in place of a rebuild; crossing `EXACT_UP_TO` builds it once."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(self.ids) == 0:
            return VectorIndex(vectors, ids, exact_up_to=self.exact_up_to)
        all_ids = np.concatenate([self.ids, np.asarray(ids)])
        if self.graph is None:
            joined = np.concatenate([self.vectors, vectors])
            return VectorIndex(joined, all_ids, exact_up_to=self.exact_up_to)
        grown = object.__new__(VectorIndex)
        grown.ids, grown.vectors, grown.exact_up_to = all_ids, None, self.exact_up_to
        grown.graph, grown.lock = self.graph, self.lock
        with self.lock:  # the older index may be searching this graph right now
            self.graph.add(vectors)  # faiss appends; rows keep their positions
        return grown

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(id, similarity) of the k nearest, most similar first."""
        k = min(k, len(self.ids))
        if k == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if self.graph is not None:
            with self.lock:
                sims, rows = self.graph.search(q, k)
            known = len(self.ids)  # rows added for a newer index are not this one's
            return [
                (int(self.ids[r]), float(s))
                for r, s in zip(rows[0], sims[0], strict=True)
                if 0 <= r < known
            ]
        sims = self.vectors @ q[0]
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(int(self.ids[r]), float(sims[r])) for r in top]
