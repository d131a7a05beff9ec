"""The pipeline's side of ``StageConfig.input_files``: check and read the files a stage needs.

A stage never opens files (decontamination's eval sets included). It declares them; the pipeline
checks them before anything is written (:func:`check_stage_inputs`) and each worker reads them
into records for the stage's ``setup`` (:func:`setup_context`). Rows are read and adapted like a
source's (any format, ``columns:``, ``format: auto``); rows that are not records are counted.
"""

from __future__ import annotations

from typing import Any

from curator.errors import InputError
from curator.ingest import read_records
from curator.io import check_readable, expand_paths
from curator.records import InstructionRecord
from curator.stages.base import InputRecords, SetupContext, StageConfig, StageInput


def _options(spec: StageInput) -> dict[str, Any] | None:
    return spec.files.storage_options


def check_stage_inputs(config: StageConfig) -> None:
    """InputError naming the stage and the input if one of its files is missing or unreadable."""
    for spec in config.input_files():
        for pattern in spec.paths:
            try:
                for path in expand_paths(pattern, spec.base_dir, _options(spec)):
                    check_readable(path)
            except InputError as exc:
                raise InputError(f"stage {config.stage_name!r}: {spec.what} {spec.name!r}: {exc}") from None


def read_stage_input(spec: StageInput) -> InputRecords:
    """Every row of the input's files as a record (provenance: source = the input's name)."""
    read = InputRecords()
    for _, outcome in read_records(spec.files, spec.base_dir, provenance={"source": spec.name}):
        if isinstance(outcome, InstructionRecord):
            read.records.append(outcome)
        else:
            read.skipped += 1
    return read


def setup_context(config: StageConfig) -> SetupContext:
    """What ``Stage.setup`` gets: the records of each of the config's ``input_files``, in order."""
    return SetupContext(inputs=[read_stage_input(spec) for spec in config.input_files()])
