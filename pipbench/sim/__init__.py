"""Simulation models (SimPy) of services, caches and serverless platforms, checked against theory.

Capacity planners ask "what if" here before a PIP's change plan goes to a canary: the
models run on synthetic or replayed traffic, their telemetry lands in the dataset's tables
(:mod:`pipbench.sim.output`), :mod:`pipbench.sim.analytic` holds the closed forms they are
tested against, and :mod:`pipbench.sim.sweep` runs grids of scenarios on any executor.

Examples
--------
>>> from pipbench.sim import Service, Poisson, parse_distribution, simulate_service
>>> run = simulate_service(Service(replicas=2, service_time=parse_distribution("exp:1")),
...                        Poisson(1.0), requests=1000, seed=1)
>>> run.summary()["rejected"]
0
"""

from pipbench.sim.cache import Cache, CacheRun, simulate_cache
from pipbench.sim.distributions import Distribution, parse_distribution
from pipbench.sim.hpa import (
    DEFAULT_BEHAVIOR,
    HPA,
    Behavior,
    ScalingPolicy,
    ScalingRules,
    replay_hpa,
)
from pipbench.sim.output import to_frames, write_run
from pipbench.sim.scaling import Scheduled, StepScaling, TargetTracking
from pipbench.sim.scenario import Scenario, load_scenario
from pipbench.sim.serverless import (
    FixedKeepAlive,
    HistogramKeepAlive,
    Pricing,
    Serverless,
    ServerlessRun,
    simulate_serverless,
)
from pipbench.sim.service import Service, ServiceRun, simulate_service
from pipbench.sim.sweep import executor, pareto_front, replicate, run_once, summarize, sweep
from pipbench.sim.workload import MMPP, Diurnal, Poisson, Replay, Steps, spike

__all__ = [
    "DEFAULT_BEHAVIOR",
    "HPA",
    "MMPP",
    "Behavior",
    "Cache",
    "CacheRun",
    "Distribution",
    "Diurnal",
    "FixedKeepAlive",
    "HistogramKeepAlive",
    "Poisson",
    "Pricing",
    "Replay",
    "ScalingPolicy",
    "ScalingRules",
    "Scenario",
    "Scheduled",
    "Serverless",
    "ServerlessRun",
    "Service",
    "ServiceRun",
    "StepScaling",
    "Steps",
    "TargetTracking",
    "executor",
    "load_scenario",
    "pareto_front",
    "parse_distribution",
    "replay_hpa",
    "replicate",
    "run_once",
    "simulate_cache",
    "simulate_serverless",
    "simulate_service",
    "spike",
    "summarize",
    "sweep",
    "to_frames",
    "write_run",
]
