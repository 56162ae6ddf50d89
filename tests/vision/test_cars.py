"""The recognition head and the nearest-neighbour index, on vectors we control."""

import numpy as np
import pytest

from motormall.vision.cars import Head
from motormall.vision.index import VectorIndex


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def clusters(n_models=4, photos=4, views=3, dim=32, spread=0.35, seed=1):
    rng = np.random.default_rng(seed)
    centres = _unit(rng.normal(size=(n_models, dim)))
    out, labels = [], []
    for m in range(n_models):
        for _ in range(photos):
            out.append(_unit(centres[m] + spread * rng.normal(size=(views, dim))))
            labels.append(f"model-{m}")
    return centres, out, labels


def test_head_ranks_the_right_model_first_with_probabilities():
    centres, photos, labels = clusters()
    head = Head(photos, labels)
    ranked = head.predict(centres[2])
    assert ranked[0][0] == "model-2"
    assert sum(p for _, p in ranked) == pytest.approx(1.0)
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    assert 0.05 <= head.temperature <= 5.0


def test_head_is_deterministic():
    centres, photos, labels = clusters()
    a = Head(photos, labels).predict(centres[0])
    b = Head(photos, labels).predict(centres[0])
    assert a == b


def test_one_model_only_is_certain_and_one_photo_each_skips_calibration():
    centres, photos, labels = clusters(n_models=1)
    assert Head(photos, labels).predict(centres[0]) == [("model-0", 1.0)]
    centres, photos, labels = clusters(photos=1)
    head = Head(photos, labels)
    assert head.temperature == 1.0
    assert head.predict(centres[1])[0][0] == "model-1"


def test_exact_index_and_graph_index_agree():
    rng = np.random.default_rng(7)
    vectors = _unit(rng.normal(size=(3000, 64))).astype(np.float32)
    ids = list(range(1000, 4000))
    exact = VectorIndex(vectors, ids)
    graph = VectorIndex(vectors, ids, exact_up_to=100)
    assert exact.graph is None and graph.graph is not None
    hits = 0
    for q in vectors[:50] + 0.05 * rng.normal(size=(50, 64)).astype(np.float32):
        e = [i for i, _ in exact.search(q, 10)]
        g = [i for i, _ in graph.search(q, 10)]
        hits += len(set(e) & set(g))
        assert e[0] == g[0]
    assert hits / 500 >= 0.95  # recall@10 of the graph index


def test_index_returns_most_similar_first_and_copes_with_small_k():
    vectors = np.eye(3, dtype=np.float32)
    index = VectorIndex(vectors, [10, 20, 30])
    assert index.search(np.array([0.1, 0.9, 0.2]), 5)[0] == (20, pytest.approx(0.9))
    assert len(index.search(np.array([1.0, 0, 0]), 5)) == 3
    assert VectorIndex(np.zeros((0, 3)), []).search(np.ones(3), 3) == []


@pytest.mark.parametrize("exact_up_to", [10_000, 100])
def test_an_extended_index_finds_old_and_new_vectors(exact_up_to):
    rng = np.random.default_rng(3)
    vectors = _unit(rng.normal(size=(400, 32))).astype(np.float32)
    first = VectorIndex(vectors[:300], range(300), exact_up_to=exact_up_to)
    grown = first.extended(vectors[300:], range(300, 400))
    assert len(first) == 300 and len(grown) == 400
    assert grown.search(vectors[350], 1)[0][0] == 350
    assert grown.search(vectors[10], 1)[0][0] == 10
    # the older index still answers from its own vectors only
    assert all(i < 300 for i, _ in first.search(vectors[350], 5))


def test_an_exact_index_becomes_a_graph_when_it_grows_past_the_limit():
    rng = np.random.default_rng(4)
    vectors = _unit(rng.normal(size=(150, 16))).astype(np.float32)
    small = VectorIndex(vectors[:100], range(100), exact_up_to=120)
    assert small.graph is None
    big = small.extended(vectors[100:], range(100, 150))
    assert big.graph is not None and big.search(vectors[140], 1)[0][0] == 140
    empty = VectorIndex(np.zeros((0, 16)), [])
    assert empty.extended(vectors[:2], [7, 8]).search(vectors[1], 1)[0][0] == 8


def test_open_set_scores_are_never_certain_and_fall_with_distance():
    from motormall.vision.cars import MAX_SCORE, open_set

    near, p_near = open_set([("only", 1.0)], closeness=0.99)
    far, p_far = open_set([("only", 1.0)], closeness=0.6)
    assert 0.9 < near[0][1] <= MAX_SCORE < 1.0  # a one-model head is not 100 % sure
    assert p_far < 0.05 < 0.5 < p_near and far[0][1] == pytest.approx(p_far)
    scores, _ = open_set([("a", 0.7), ("b", 0.3)], closeness=0.8)
    assert scores[0][1] <= 0.7 and scores[0][1] / scores[1][1] == pytest.approx(0.7 / 0.3)
    assert open_set([], closeness=1.0) == ([], 0.0)
