"""Ingestion: from input files to records.

``rows``    one raw row → an InstructionRecord, or a rejection with a reason code and the error
``reader``  the one way to read records: expand paths → detect format → read rows → adapt
``plan``    a run's input files, checked, with format, sha256 and size (before anything is written)
``cards``   licence, citation and friends from the dataset cards beside the inputs
"""

from curator.ingest.plan import InputFile, plan_inputs
from curator.ingest.reader import (
    Rejected,
    ResolvedFile,
    adapt_rows,
    read_file,
    read_records,
    relative_display,
    resolve_file,
    resolve_files,
)
from curator.ingest.rows import INVALID, UNREADABLE, adapt_row, detect_file_format, location, rejection

__all__ = [
    "INVALID",
    "UNREADABLE",
    "InputFile",
    "Rejected",
    "ResolvedFile",
    "adapt_row",
    "adapt_rows",
    "detect_file_format",
    "location",
    "plan_inputs",
    "read_file",
    "read_records",
    "rejection",
    "relative_display",
    "resolve_file",
    "resolve_files",
]
