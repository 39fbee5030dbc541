"""One root seed -> every run's seed, and the samplers' generator (numpy SeedSequence).

Replicate ``r`` gets the seed of the r-th child of the root SeedSequence, the same at every
design point, so differences between design points are paired comparisons (common random
numbers). Adding replicates keeps the seeds of the existing ones.
"""

from __future__ import annotations

import numpy as np

# Spawn key of the samplers' stream: far above any replicate index, so never shared.
DESIGN_STREAM = 2**31


def replicate_seeds(root: int, replicates: int) -> list[int]:
    """The seed of each replicate, as a non-negative int below 2**63 (fits int64 columns)."""
    children = np.random.SeedSequence(root).spawn(replicates)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def design_rng(root: int) -> np.random.Generator:
    """The generator the samplers draw from (independent of every run's stream)."""
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(DESIGN_STREAM,)))
