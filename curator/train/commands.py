"""The work behind ``curator train``, ``curator validate-mixtures`` and a recipe's ``validation:``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from curator.errors import CuratorError
from curator.formats import describe_validation_error
from curator.validation import EvalSetConfig, TrainConfig, ValidationConfig

Log = Callable[[str], None]


def _validated(model: type[Any], data: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CuratorError(f"{what}: {describe_validation_error(exc)}") from None


def _absolute(paths: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    return [{"path": os.path.abspath(os.path.expanduser(p))} for p in paths]


def train_command(
    data: str, evals: tuple[str, ...], out_dir: Path, overrides: dict[str, Any], overwrite: bool, log: Log
) -> dict[str, Any]:
    """``curator train DATA --eval EVAL… --out DIR``: one model; returns its metrics."""
    from curator.train.data import discover, load_eval_sets, load_mixtures
    from curator.train.models import check_model
    from curator.train.runner import prepare_output, train_records

    config = _validated(TrainConfig, overrides, "invalid option")
    check_model(config.model)
    found = discover(data)
    if len(found) > 1:
        names = ", ".join(name for name, _ in found)
        raise CuratorError(
            f"{data} holds {len(found)} mixtures ({names}); pass one mixture folder to train on, or compare "
            f"them all with `curator validate-mixtures {data} --eval …`"
        )
    (train,) = load_mixtures(data, stream=True)
    eval_sets = load_eval_sets([EvalSetConfig.model_validate(e) for e in _absolute(evals)], Path.cwd())
    prepare_output(out_dir, overwrite)
    return train_records(train, eval_sets, config, out_dir, on_log=log)


def validation_from_run(run_dir: Path, evals: tuple[str, ...], overrides: dict[str, Any]) -> ValidationConfig:
    """The run's recipe ``validation:`` (if any) with command-line settings on top."""
    from curator.run import RunFolder

    recipe_section = RunFolder(run_dir).read_manifest().recipe.validation()
    data = {**recipe_section, **overrides}
    if evals:
        data["eval"] = _absolute(evals)
    if not data.get("eval"):
        raise CuratorError(
            "no eval set: pass --eval FILE (e.g. sample_data/user_oriented_instructions.jsonl) or add "
            "validation.eval to the recipe"
        )
    return _validated(ValidationConfig, data, "validation settings")


def validate_command(
    run_dir: Path,
    evals: tuple[str, ...],
    overrides: dict[str, Any],
    out_dir: Path | None,
    overwrite: bool,
    log: Log,
) -> dict[str, Any]:
    from curator.train.runner import validate_run

    validation = validation_from_run(run_dir, evals, overrides)
    return validate_run(run_dir, validation, out_dir=out_dir, overwrite=overwrite, on_log=log)


def check_validation(validation: ValidationConfig, base_dir: Path) -> None:
    """Fail before a run starts when its ``validation:`` names a missing model or eval file."""
    from curator.io import expand_paths
    from curator.train.models import check_model, require_torch

    require_torch()
    check_model(validation.model)
    for eval_set in validation.eval:
        expand_paths(eval_set.path, base_dir)


def after_run(run_dir: Path, validation: ValidationConfig, base_dir: Path, log: Log) -> dict[str, Any]:
    """A recipe's ``validation:``, run by ``curator run`` once the run folder is complete."""
    from curator.train.runner import validate_run

    return validate_run(run_dir, validation, base_dir=base_dir, on_log=log)


def scorecard_text(scorecard: dict[str, Any], out_dir: Path) -> str:
    from curator.train.scorecard import render_markdown

    return render_markdown(scorecard) + f"\nscorecard: {out_dir / 'scorecard.md'} (and .json, .png)"
