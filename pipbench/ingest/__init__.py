"""Ingest telemetry exports into a dataset.

Readers are plug-ins behind one registry (:mod:`pipbench.ingest.registry`); the pipeline
(:mod:`pipbench.ingest.pipeline`) sniffs the format from content, applies the shared rules
(:mod:`pipbench.ingest.normalize`) and writes atomically.
"""

from pipbench.ingest.pipeline import (
    IngestReport,
    expand_inputs,
    ingest,
    ingest_each,
    ingest_file,
    sniff_format,
)
from pipbench.ingest.registry import (
    ReadContext,
    ReadResult,
    Skip,
    get_reader,
    reader_names,
    readers,
    register_reader,
)

__all__ = [
    "IngestReport",
    "ReadContext",
    "ReadResult",
    "Skip",
    "expand_inputs",
    "get_reader",
    "ingest",
    "ingest_each",
    "ingest_file",
    "reader_names",
    "readers",
    "register_reader",
    "sniff_format",
]
