"""pipbench: a workbench for Performance Improvement Plans.

The public face: open a dataset; ingest exports into it with :func:`pipbench.ingest.ingest`
(the :mod:`pipbench.ingest` package holds the readers); reach each area through its module
(:mod:`pipbench.sli`, :mod:`pipbench.slo`, :mod:`pipbench.detect`,
:mod:`pipbench.verify`, :mod:`pipbench.sim`, :mod:`pipbench.charts`, :mod:`pipbench.plan`,
:mod:`pipbench.notebooks`).

Examples
--------
>>> import tempfile
>>> import pipbench
>>> ds = pipbench.open_dataset(tempfile.mkdtemp())
>>> ds.samples().collect().height
0
"""

from importlib.metadata import PackageNotFoundError, version

from pipbench.dataset import Dataset, open_dataset
from pipbench.errors import ConfigError, InputError, NotFittedError, PipbenchError
from pipbench.ingest import IngestReport

try:
    __version__ = version("pipbench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "Dataset",
    "IngestReport",
    "InputError",
    "NotFittedError",
    "PipbenchError",
    "__version__",
    "open_dataset",
]
