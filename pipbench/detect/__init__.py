"""What changed, when, and where: baselines, anomalies, change points, drill-down, hypotheses."""

from pipbench.detect._base import clone
from pipbench.detect.anomaly import (
    DETECTORS,
    OnlineDetector,
    RobustZDetector,
    SeasonalESDDetector,
    generalized_esd,
    make_detector,
)
from pipbench.detect.baseline import (
    BaselineError,
    ETSBaseline,
    Forecast,
    ProfileBaseline,
    STLBaseline,
)

__all__ = [
    "DETECTORS",
    "BaselineError",
    "ETSBaseline",
    "Forecast",
    "OnlineDetector",
    "ProfileBaseline",
    "RobustZDetector",
    "STLBaseline",
    "SeasonalESDDetector",
    "clone",
    "generalized_esd",
    "make_detector",
]
