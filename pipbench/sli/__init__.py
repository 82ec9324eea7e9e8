"""SLIs computed the way Prometheus and an SRE would compute them.

- :mod:`~pipbench.sli.quantiles`: ``histogram_quantile`` (classic, exact Prometheus
  semantics; one histogram or vectorised) and native histograms.
- :mod:`~pipbench.sli.rates`: ``rate``/``increase``/``irate``/``delta`` with Prometheus
  extrapolation, and gauges resampled as instant vectors.
- :mod:`~pipbench.sli.queries`: ``latency_quantiles`` and ``error_ratio`` as tidy frames.
- :mod:`~pipbench.sli.events`: exact percentiles, throughput, error rate, availability
  from the ``events`` table.
- :mod:`~pipbench.sli.catalogue`: the metric catalogue a PIP tracks.

Examples
--------
>>> from pipbench.sli import histogram_quantile
>>> histogram_quantile(0.5, ["0.1", "0.2", "+Inf"], [10, 20, 20])
0.1
"""

from __future__ import annotations

from pipbench.sli.catalogue import CatalogueNames, metric_catalogue, total_increase
from pipbench.sli.events import DEFAULT_QUANTILES, event_stats, percentiles
from pipbench.sli.quantiles import (
    REASONS,
    QuantileResult,
    histogram_quantile,
    histogram_quantile_details,
    histogram_quantiles,
    native_histogram_quantile,
    parse_le,
)
from pipbench.sli.queries import error_ratio, histogram_quantile_frame, latency_quantiles
from pipbench.sli.rates import (
    delta,
    evaluate_range,
    extrapolated_rate,
    increase,
    instant,
    irate,
    rate,
    select_series,
)
from pipbench.sli.selectors import Matcher, Selector, parse_duration, parse_selector

__all__ = [
    "DEFAULT_QUANTILES",
    "REASONS",
    "CatalogueNames",
    "Matcher",
    "QuantileResult",
    "Selector",
    "delta",
    "error_ratio",
    "evaluate_range",
    "event_stats",
    "extrapolated_rate",
    "histogram_quantile",
    "histogram_quantile_details",
    "histogram_quantile_frame",
    "histogram_quantiles",
    "increase",
    "instant",
    "irate",
    "latency_quantiles",
    "metric_catalogue",
    "native_histogram_quantile",
    "parse_duration",
    "parse_le",
    "parse_selector",
    "percentiles",
    "rate",
    "select_series",
    "total_increase",
]
