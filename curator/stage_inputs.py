"""The pipeline's side of ``StageConfig.input_files``: check and read the files a stage needs.

A stage never opens files (decontamination's eval sets included). It declares them; the pipeline
checks them before anything is written (:func:`check_stage_inputs`) and each worker reads them
into records for the stage's ``setup`` (:func:`setup_context`). Rows are read and adapted like a
source's (any format, ``columns:``, ``format: auto``); rows that are not records are counted.
"""

from __future__ import annotations

from curator.errors import InputError
from curator.formats import get_format
from curator.ingest import adapt_row, detect_file_format
from curator.io import check_readable, display_path, expand_paths, iter_rows
from curator.records import InstructionRecord
from curator.stages.base import InputRecords, SetupContext, StageConfig, StageInput


def check_stage_inputs(config: StageConfig) -> None:
    """InputError naming the stage and the input if one of its files is missing or unreadable."""
    for spec in config.input_files():
        for pattern in spec.paths:
            try:
                for path in expand_paths(pattern, spec.base_dir):
                    check_readable(path)
            except InputError as exc:
                raise InputError(f"stage {config.stage_name!r}: {spec.what} {spec.name!r}: {exc}") from None


def read_stage_input(spec: StageInput) -> InputRecords:
    """Every row of the input's files as a record (provenance: source = the input's name)."""
    read = InputRecords()
    for pattern in spec.paths:
        for path in expand_paths(pattern, spec.base_dir):
            display = display_path(path, spec.base_dir)
            name = spec.format
            if name == "auto":
                name = detect_file_format(path, display, spec.columns)
            adapter = get_format(name)
            for raw in iter_rows(path, display):
                record = adapt_row(raw, adapter, spec.columns, {"source": spec.name, "file": display})
                if isinstance(record, InstructionRecord):
                    read.records.append(record)
                else:
                    read.skipped += 1
    return read


def setup_context(config: StageConfig) -> SetupContext:
    """What ``Stage.setup`` gets: the records of each of the config's ``input_files``, in order."""
    return SetupContext(inputs=[read_stage_input(spec) for spec in config.input_files()])
