"""Workflows behind the notebooks: a dataset and plain parameters in, a result out.

Each function validates its inputs first (one clear :class:`~pipbench.errors.InputError` or
:class:`~pipbench.errors.ConfigError`), then returns a frozen result holding the tidy frames
the notebook's charts need and an ``evidence()`` dict for the PIP record.
"""

# -- verification and what-if (nb2) --
from pipbench.workflows.canary import CanaryResult, canary_verification
from pipbench.workflows.whatif import (
    CacheResult,
    CapacityResult,
    ColdStartResult,
    cache_ttl_tradeoff,
    capacity_whatif,
    coldstart_tradeoff,
)

__all__ = [
    # -- verification and what-if (nb2) --
    "CacheResult",
    "CanaryResult",
    "CapacityResult",
    "ColdStartResult",
    "cache_ttl_tradeoff",
    "canary_verification",
    "capacity_whatif",
    "coldstart_tradeoff",
]
