"""Clustering sentence vectors by meaning: average-linkage agglomeration.

Two groups merge while the mean similarity of all their cross pairs is at least
the threshold. With unit vectors that mean is the dot product of the groups'
mean vectors, so groups are carried as (mean vector, size) and the merge
update is exact. The nearest-neighbour chain algorithm finds the merges in
O(n^2) time; a group whose best partner falls below the threshold can never
merge again under average linkage, so it is retired at once.

Very large inputs are first collapsed into tight micro-groups (similarity to a
leader >= 0.85), which keeps the similarity matrix small; those merges would
have happened first anyway.
"""

from __future__ import annotations

import numpy as np

MAX_DIRECT = 3000  # rows above this are pre-grouped
_MICRO_THRESHOLD = 0.85


def average_linkage(means: np.ndarray, sizes: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups of row indices of `means` (each row a group mean of `sizes[i]` unit vectors)."""
    n = len(means)
    if n == 0:
        return []
    means = np.asarray(means, dtype=np.float32)
    sim = means @ means.T
    np.fill_diagonal(sim, -np.inf)
    size = np.asarray(sizes, dtype=np.float64).copy()
    live = np.ones(n, dtype=bool)  # may still merge
    alive = np.ones(n, dtype=bool)  # not merged into another
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    chain: list[int] = []
    while True:
        if not chain:
            candidates = np.flatnonzero(live)
            if len(candidates) < 2:
                break
            chain.append(int(candidates[0]))
        a = chain[-1]
        row = np.where(live, sim[a], -np.inf)
        row[a] = -np.inf
        b = int(row.argmax())
        if row[b] < threshold:
            live[a] = False  # nothing reaches the threshold with it now, nor after other merges
            chain.pop()
            continue
        if len(chain) >= 2 and row[chain[-2]] >= row[b]:
            b = chain[-2]  # reciprocal nearest neighbours: merge b into a
            del chain[-2:]
            merged = (size[a] * sim[a] + size[b] * sim[b]) / (size[a] + size[b])
            sim[a, :] = merged
            sim[:, a] = merged
            sim[a, a] = -np.inf
            sim[b, :] = -np.inf
            sim[:, b] = -np.inf
            live[b] = alive[b] = False
            size[a] += size[b]
            members[a].extend(members.pop(b))
            continue
        chain.append(b)
    return [sorted(m) for i, m in members.items() if alive[i]]


def _micro_groups(x: np.ndarray) -> list[list[int]]:
    """Leader clustering at a high threshold: each row joins the first leader it is close to."""
    leaders: list[int] = []
    groups: list[list[int]] = []
    leader_vecs = np.zeros((0, x.shape[1]), dtype=x.dtype)
    for i in range(len(x)):
        if len(leaders):
            sims = leader_vecs @ x[i]
            j = int(sims.argmax())
            if sims[j] >= _MICRO_THRESHOLD:
                groups[j].append(i)
                continue
        leaders.append(i)
        groups.append([i])
        leader_vecs = np.vstack([leader_vecs, x[i][None]])
    return groups


def cluster(x: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters of unit row vectors, largest first (singletons included)."""
    if len(x) == 0:
        return []
    if len(x) > MAX_DIRECT:
        base = _micro_groups(x)
    else:
        base = [[i] for i in range(len(x))]
    means = np.stack([x[g].mean(0) for g in base])
    sizes = np.array([len(g) for g in base])
    groups = [sorted(i for b in grouped for i in base[b]) for grouped in average_linkage(means, sizes, threshold)]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def merge_groups(x: np.ndarray, groups: list[list[int]], threshold: float) -> list[list[int]]:
    """Average-linkage merges of existing groups (rows of x), e.g. across questions."""
    if len(groups) < 2:
        return [list(g) for g in groups]
    means = np.stack([x[g].mean(0) for g in groups])
    sizes = np.array([len(g) for g in groups])
    merged = [sorted(i for k in parts for i in groups[k]) for parts in average_linkage(means, sizes, threshold)]
    merged.sort(key=lambda g: (-len(g), g[0]))
    return merged


def centrality(x: np.ndarray, members: list[int]) -> list[int]:
    """Members from the most to the least central (similarity to the group mean)."""
    centroid = x[members].mean(0)
    sims = x[members] @ centroid
    return [members[i] for i in np.argsort(-sims, kind="stable")]
