"""Clusters of near-duplicate passages without chaining.

Connected components of the near-duplicate graph can chain: A ~ B ~ C ~ ... ~ Z puts
A and Z together though they have drifted apart. So each component gets a medoid (the
member most similar to all others) and keeps only the members whose similarity to the
medoid reaches the related threshold; the members dropped form components of their own
among themselves, which are treated the same way. Every member of a cluster is then at
least "related" to the passage shown for it, at the cost of one small similarity matrix
per component (components are small; large ones use the centroid instead).

Nodes here are groups of passages with the same normalized text (one vector each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.dupes.engine import RepVectors

FULL_MEDOID_LIMIT = 2048   # components larger than this use the member nearest the centroid


@dataclass
class GroupCluster:
    groups: np.ndarray         # group indices
    medoid: int                # a group index
    sims: np.ndarray           # similarity of each group to the medoid


def _find(parent: np.ndarray, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def components(nodes: np.ndarray, edges: np.ndarray) -> list[np.ndarray]:
    """Connected components over ``nodes`` (group indices) with ``edges`` [k, 2]."""
    index = {int(g): i for i, g in enumerate(nodes)}
    parent = np.arange(nodes.size)
    for a, b in edges:
        ia, ib = index.get(int(a)), index.get(int(b))
        if ia is None or ib is None:
            continue
        ra, rb = _find(parent, ia), _find(parent, ib)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([_find(parent, i) for i in range(nodes.size)], dtype=np.int64)
    order = np.argsort(roots, kind="stable")
    splits = np.flatnonzero(np.diff(roots[order])) + 1
    return [nodes[part] for part in np.split(order, splits)]


def _medoid(members: np.ndarray, vectors: np.ndarray | RepVectors, weights: np.ndarray) -> int:
    """The member with the greatest similarity to all others, each other counted as
    often as it has copies (so a text pasted many times stands for its cluster)."""
    v = vectors[members]
    w = weights[members].astype(np.float32)
    if members.size <= FULL_MEDOID_LIMIT:
        score = (v @ v.T) @ w
    else:
        score = v @ (w @ v)
    return int(members[int(np.argmax(score))])


def cluster_groups(
    nodes: np.ndarray, edges: np.ndarray, vectors: np.ndarray | RepVectors, related: float,
    weights: np.ndarray | None = None,
) -> list[GroupCluster]:
    """Clusters of groups linked by ``edges``, split so that every member reaches
    ``related`` similarity to its cluster's medoid. Singletons are returned too (a group
    of several identical passages is a cluster on its own). ``weights``: copies per group."""
    if weights is None:
        weights = np.ones(vectors.shape[0], dtype=np.float32)
    out: list[GroupCluster] = []
    todo = components(nodes, edges)
    while todo:
        comp = todo.pop()
        medoid = _medoid(comp, vectors, weights)
        sims = vectors[comp] @ vectors[medoid]
        keep = (sims >= related) | (comp == medoid)
        out.append(GroupCluster(comp[keep], medoid, sims[keep]))
        rest = comp[~keep]
        if rest.size:
            inside = np.isin(edges[:, 0], rest) & np.isin(edges[:, 1], rest) if edges.size else None
            sub = edges[inside] if inside is not None else edges
            todo.extend(components(rest, sub))
    return out
