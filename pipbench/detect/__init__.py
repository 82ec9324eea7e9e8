"""What changed, when, and where: baselines, anomalies, change points, drill-down, hypotheses.

* Baselines (:mod:`~pipbench.detect.baseline`): :class:`ProfileBaseline`,
  :class:`STLBaseline`, :class:`ETSBaseline` -> :class:`Forecast` with a band.
* Anomalies (:mod:`~pipbench.detect.anomaly`): :class:`OnlineDetector` (streaming, the
  default), :class:`RobustZDetector`, :class:`SeasonalESDDetector`; scores in [0, 1].
* Change points (:mod:`~pipbench.detect.changepoint`): :func:`e_divisive`, :func:`pelt`,
  :func:`binseg` -> :class:`ChangePoint`.
* :func:`attribute` (annotations -> suspects), :func:`drilldown` (label values that carry a
  regression), :func:`hypotheses` (ranked plain-language PIP hypotheses).
* :mod:`~pipbench.detect.synthetic` and :mod:`~pipbench.detect.evaluate`: labelled series and
  the metrics to score detectors on them.

Examples
--------
>>> import numpy as np
>>> from pipbench.detect import OnlineDetector, e_divisive
>>> y = np.r_[np.full(200, 1.0), np.full(200, 2.0)] + np.random.default_rng(0).normal(0, 0.1, 400)
>>> np.flatnonzero(OnlineDetector().fit_predict(y)).tolist(), [c.index for c in e_divisive(y)]
([200], [200])
"""

from pipbench.detect._base import clone
from pipbench.detect.anomaly import (
    DETECTORS,
    OnlineDetector,
    RobustZDetector,
    SeasonalESDDetector,
    generalized_esd,
    make_detector,
)
from pipbench.detect.attribution import attribute
from pipbench.detect.baseline import (
    BaselineError,
    ETSBaseline,
    Forecast,
    ProfileBaseline,
    STLBaseline,
)
from pipbench.detect.changepoint import ChangePoint, binseg, e_divisive, pelt
from pipbench.detect.drilldown import Drilldown, drilldown, drilldown_samples
from pipbench.detect.evaluate import event_metrics, nab_score
from pipbench.detect.hypotheses import Hypothesis, hypotheses
from pipbench.detect.series import detect_series, read_series_csv

__all__ = [
    "DETECTORS",
    "BaselineError",
    "ChangePoint",
    "Drilldown",
    "ETSBaseline",
    "Forecast",
    "Hypothesis",
    "OnlineDetector",
    "ProfileBaseline",
    "RobustZDetector",
    "STLBaseline",
    "SeasonalESDDetector",
    "attribute",
    "binseg",
    "clone",
    "detect_series",
    "drilldown",
    "drilldown_samples",
    "e_divisive",
    "event_metrics",
    "generalized_esd",
    "hypotheses",
    "make_detector",
    "nab_score",
    "pelt",
    "read_series_csv",
]
