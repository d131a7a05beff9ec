"""The `curator` command. Thin: parse arguments, call the library, print results.

Every failure prints one ``error:`` line with a documented exit code (see ``curator.errors``).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

import curator
from curator.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_IO, EXIT_USER, CuratorError
from curator.formats.spec import INPUT_FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(function: F) -> F:
    """Print any failure as one ``error:`` line on stderr with its exit code, never a traceback.

    ``--debug`` (or CURATOR_DEBUG=1) lets unexpected exceptions through with their traceback.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except CuratorError as exc:
            _fail(str(exc), EXIT_USER)
        except OSError as exc:
            if _debugging():
                raise
            where = f"{exc.filename}: " if exc.filename else "the system refused: "
            _fail(f"{where}{exc.strerror or exc}", EXIT_IO)
        except KeyboardInterrupt:
            _fail("interrupted; run the same command again to resume", EXIT_INTERRUPTED)
        except Exception as exc:
            if _debugging():
                raise
            first = (str(exc).splitlines() or [""])[0][:300]
            _fail(
                f"internal error ({type(exc).__name__}: {first}); rerun with --debug for the traceback "
                "and please report it",
                EXIT_INTERNAL,
            )

    return wrapper  # type: ignore[return-value]


def _debugging() -> bool:
    return os.environ.get("CURATOR_DEBUG", "") not in ("", "0")


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def parse_columns(pairs: tuple[str, ...]) -> dict[str, str]:
    columns = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise CuratorError(f"--columns expects SOURCE=TARGET (e.g. question=instruction), got {pair!r}")
        columns[source] = target
    return columns


FORMAT_CHOICE = click.Choice(INPUT_FORMATS)
COLUMNS_OPTION = click.option(
    "--columns", multiple=True, metavar="SRC=DST", help="Rename a field before adapting (repeatable)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(curator.__version__, prog_name="curator")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr as text or one JSON object per line (for log shippers).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def cli(debug: bool, log_format: str, log_level: str) -> None:
    """Curate instruction-tuning data into clean, documented, licence-checked mixtures.

    Exit codes: 0 done; 1 validate found bad rows; 2 user error (recipe, input, arguments, run
    folder); 3 the system refused (disk full, permission denied, read-only, out of memory); 4
    internal error; 130 interrupted.
    """
    from curator.logs import setup_logging

    if debug:
        os.environ["CURATOR_DEBUG"] = "1"
    setup_logging(log_format, log_level.upper())  # type: ignore[arg-type]


PROGRESS_OPTIONS = (
    click.option(
        "--progress",
        "progress_mode",
        type=click.Choice(["auto", "bars", "log", "off"]),
        default="auto",
        show_default=True,
        help="auto: bars on a terminal, else a log line per stage every --progress-every seconds.",
    ),
    click.option(
        "--progress-every",
        type=click.FloatRange(min=0),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds between progress log lines (headless runs).",
    ),
)


def progress_options(function: F) -> F:
    for option in reversed(PROGRESS_OPTIONS):
        function = option(function)
    return function


@cli.command()
@click.argument("recipe", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    help="Run folder (default: runs/<recipe name>), or a URL on an object store (s3://bucket/prefix, gs://, "
    "az://): built locally, then published with manifest.json last.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Worker processes (default: the recipe's run.workers)."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing run folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary table.")
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: this machine's cores; ray: Ray Data (pip install 'instruct-curator[ray]').",
)
@click.option("--ray-address", help="Join this Ray cluster (default: start a local Ray with --workers CPUs).")
@progress_options
@user_errors
def run(
    recipe: Path,
    out_dir: str | None,
    workers: int | None,
    overwrite: bool,
    quiet: bool,
    engine: str,
    ray_address: str | None,
    progress_mode: str,
    progress_every: float,
) -> None:
    """Run RECIPE: read sources, run stages, write kept/removed/rejected records and a manifest."""
    from curator.io.remote import is_url
    from curator.progress import RunProgress, print_summary
    from curator.publish import run_recipe_to
    from curator.recipe import load_recipe

    loaded = load_recipe(recipe)
    target = out_dir or str(Path("runs") / loaded.recipe.name)
    if is_url(target) and loaded.recipe.validation is not None:
        raise CuratorError("validation: needs a local --out (it trains on the run folder's files)")
    if loaded.recipe.validation is not None:  # its model and eval sets are checked before the run
        from curator.train.commands import check_validation

        check_validation(loaded.recipe.validation, loaded.base_dir)
    with RunProgress(
        loaded.recipe, enabled=not quiet, mode=progress_mode, interval=progress_every  # type: ignore[arg-type]
    ) as progress:
        result = run_recipe_to(
            loaded,
            target,
            workers=workers,
            overwrite=overwrite,
            on_report=progress.on_report,
            on_planned=progress.on_planned,
            engine=engine,
            ray_address=ray_address,
        )
    out_dir = result.out_dir
    if not quiet:
        print_summary(result.run, out_dir)
        if is_url(target):
            click.echo(f"published: {target.rstrip('/')}/ (manifest.json last; local copy {out_dir})")
        from curator.progress import summary_lines

        for line in summary_lines(result.run):  # licence conflicts, mixtures
            click.echo(line)
    if loaded.recipe.validation is not None:  # train a model per mixture + the baseline, then rank them
        from curator.train.commands import after_run, scorecard_text

        scorecard = after_run(out_dir, loaded.recipe.validation, loaded.base_dir, progress_log(quiet))
        if not quiet:
            click.echo(scorecard_text(scorecard, out_dir / loaded.recipe.validation.out))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="auto", show_default=True)
@COLUMNS_OPTION
@click.option(
    "--max-errors", type=int, default=50, show_default=True, help="Bad rows to list (all are counted)."
)
@user_errors
def validate(inputs: tuple[Path, ...], fmt: str, columns: tuple[str, ...], max_errors: int) -> None:
    """List every row of INPUTS that is not a valid record, with file:line and reason; exit 1 if any."""
    from curator.tools import validate_files

    summary = validate_files(list(inputs), fmt, parse_columns(columns))
    for problem in summary.problems[:max_errors]:
        click.echo(problem)
    if len(summary.problems) > max_errors:
        click.echo(f"... and {len(summary.problems) - max_errors} more")
    click.echo(f"{summary.rows} rows: {summary.valid} valid, {len(summary.problems)} bad", err=True)
    sys.exit(1 if summary.problems else 0)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--to", "target", required=True, help="Target format: alpaca, sharegpt, messages, ... or 'record'."
)
@click.option(
    "--out", "out_file", required=True, type=click.Path(path_type=Path), help=".jsonl[.gz|.zst] or .parquet"
)
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="auto", show_default=True)
@COLUMNS_OPTION
@click.option(
    "--flatten",
    type=click.Choice(["error", "concat", "last_turn"]),
    default="error",
    show_default=True,
    help="What to do with conversations the target format cannot hold.",
)
@user_errors
def convert(
    inputs: tuple[Path, ...], target: str, out_file: Path, fmt: str, columns: tuple[str, ...], flatten: str
) -> None:
    """Convert INPUTS to another format. Rows that cannot be read or converted are listed; exit 1 if any."""
    from curator.tools import convert_files

    summary = convert_files(list(inputs), target, out_file, fmt, parse_columns(columns), flatten)
    for problem in summary.problems[:50]:
        click.echo(problem, err=True)
    click.echo(
        f"wrote {summary.valid} rows to {out_file}; {len(summary.problems)} rows not converted", err=True
    )
    sys.exit(1 if summary.problems else 0)


@cli.command()
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Where to write.",
)
@click.option("--check", is_flag=True, help="Exit 1 if the files differ from the models instead of writing.")
@user_errors
def schema(out_dir: Path, check: bool) -> None:
    """Write JSON Schema files for the record, the recipe and the run manifest."""
    from curator.schema import render_schemas

    stale = []
    for name, text in render_schemas().items():
        path = out_dir / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    if stale:
        click.echo(f"out of date: {', '.join(stale)} (run `curator schema`)", err=True)
        sys.exit(1)


def train_options(function: F) -> F:
    """Training settings shared by `train` and `validate-mixtures` (unset ones keep their defaults)."""
    int_from = click.IntRange
    options = [
        click.option("--model", help="proxy-tiny (default), proxy-small, proxy-125m, folder or cached id."),
        click.option(
            "--tokenizer",
            type=click.Choice(["byte", "bpe"]),
            help="A proxy's tokenizer: byte (default) or a BPE learnt from the training data.",
        ),
        click.option("--vocab-size", type=int_from(300, 65536), help="Tokens of a proxy's BPE (2048)."),
        click.option("--steps", type=int_from(1), help="Optimizer steps: the budget (default 200)."),
        click.option("--seq-len", type=int_from(16), help="Tokens per packed row (default 512)."),
        click.option("--batch-size", type=int_from(1), help="Rows per micro-batch (default 8)."),
        click.option("--grad-accum", type=int_from(1), help="Micro-batches per step (default 1)."),
        click.option(
            "--forward-rows", type=int_from(1), help="Rows per forward pass (memory only; default 2 on CPU)."
        ),
        click.option("--lr", type=float, help="Peak learning rate (default 2e-3 proxies, 2e-5 others)."),
        click.option("--seed", type=int, help="Seed of init, data order and packing (default 0)."),
        click.option("--device", help="auto (default), cpu, cuda, cuda:N or mps."),
        click.option("--threads", type=int_from(1), help="CPU threads for torch (default: torch's)."),
        click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), help="Default auto."),
        click.option("--compile/--no-compile", "compile_model", default=None, help="torch.compile it."),
        click.option("--pack/--no-pack", default=None, help="Pack examples into rows (default: pack)."),
        click.option("--eval-every", type=int_from(0), help="Held-out loss every N steps."),
        click.option("--log-every", type=int_from(1), help="Progress line every N steps (default 10)."),
        click.option("--max-eval-examples", type=int_from(1), help="Per eval set (default all)."),
        click.option("--max-generate", type=int_from(0), help="Answers generated per set (default 64)."),
        click.option("--max-new-tokens", type=int_from(1), help="Generation limit (default 128)."),
        click.option("--decontaminate/--no-decontaminate", default=None, help="Default: decontaminate."),
        click.option("--save-model", is_flag=True, default=None, help="save_pretrained the trained model."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def train_overrides(options: dict[str, Any]) -> dict[str, Any]:
    options["compile"] = options.pop("compile_model", None)
    return {key: value for key, value in options.items() if value is not None}


def progress_log(quiet: bool) -> Callable[[str], None]:
    import logging

    logger = logging.getLogger("curator.train")
    return (lambda message: None) if quiet else (lambda message: logger.info("%s", message))


@cli.command()
@click.argument("data")
@click.option("--eval", "evals", multiple=True, required=True, metavar="EVAL", help="Held-out set (repeat).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@train_options
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@user_errors
def train(
    data: str, evals: tuple[str, ...], out_dir: Path, overwrite: bool, quiet: bool, **options: Any
) -> None:
    """Train a model on DATA (a mixture folder, run folder or data file) and evaluate it on each EVAL.

    Writes OUT/metrics.json, OUT/loss_curve.png, OUT/generations/ and, with --save-model, OUT/model/.
    """
    from curator.train.commands import train_command

    train_command(data, evals, out_dir, train_overrides(options), overwrite, progress_log(quiet))
    if not quiet:
        click.echo(f"wrote {out_dir / 'metrics.json'}")


@cli.command("validate-mixtures")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--eval", "evals", multiple=True, metavar="EVAL", help="Held-out set (default: the recipe's).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Default: RUN_DIR/validation.")
@click.option("--mixture", "mixtures", multiple=True, help="Only this mixture (repeatable; default all).")
@click.option("--baseline/--no-baseline", default=None, help="Also train on the uncurated input (default).")
@train_options
@click.option("--overwrite", is_flag=True, help="Replace an existing validation folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@user_errors
def validate_mixtures(
    run_dir: Path,
    evals: tuple[str, ...],
    out_dir: Path | None,
    mixtures: tuple[str, ...],
    baseline: bool | None,
    overwrite: bool,
    quiet: bool,
    **options: Any,
) -> None:
    """Train one model per mixture of RUN_DIR and one on its uncurated input; write a ranked scorecard."""
    from curator.train.commands import scorecard_text, validate_command

    overrides = train_overrides(options)
    if mixtures:
        overrides["mixtures"] = list(mixtures)
    if baseline is not None:
        overrides["baseline"] = baseline
    scorecard = validate_command(run_dir, evals, overrides, out_dir, overwrite, progress_log(quiet))
    if not quiet:
        click.echo(scorecard_text(scorecard, out_dir or run_dir / "validation"))


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@user_errors
def clean(run_dir: Path) -> None:
    """Remove the work files (_work/) an interrupted run left in RUN_DIR; they may hold raw rows."""
    from curator.run import RunFolder
    from curator.run.lock import FolderLock

    folder = RunFolder(run_dir)
    if not run_dir.is_dir():
        raise CuratorError(f"{run_dir}: no such run folder")
    with FolderLock(run_dir):
        removed = folder.clean()
    click.echo(f"removed {folder.work_dir}" if removed else f"{run_dir}: nothing to clean")


@cli.command()
@click.argument("record_id")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@click.option("--no-source-row", is_flag=True, help="Do not read the row back from the input file.")
@click.option("--raw", is_flag=True, help="Show the source row unredacted even if the run had a pii stage.")
@user_errors
def trace(record_id: str, run_dir: Path, as_json: bool, no_source_row: bool, raw: bool) -> None:
    """Show RECORD_ID's path in RUN_DIR: source file and row, every stage, removal or mixtures."""
    from curator.trace import format_trace, trace_record

    found = trace_record(record_id, run_dir, source_row=not no_source_row, raw=raw)
    if as_json:
        import orjson

        click.echo(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_trace(found))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Audit folder.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="auto", show_default=True)
@COLUMNS_OPTION
@click.option("--license", "license_", metavar="SPDX", help="Licence of every input (default: unknown).")
@click.option("--skip", multiple=True, metavar="TYPE", help="Leave this stage type out (repeatable).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="TYPE.KEY=VALUE",
    help="A stage option, as YAML (repeatable), e.g. pii.structured_only=false or "
    "length.max_output_words=4000.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Worker processes (default: CPU cores, at most 8)."
)
@click.option(
    "--sample",
    metavar="N|FRACTION",
    help="Run the expensive detectors (PII: patterns and NER) on a seeded uniform sample only: N "
    "records or a fraction; their rates get 95% intervals. Without it, pattern PII is exact.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option(
    "--tokenizer",
    type=click.Path(path_type=Path),
    help="tokenizer.json (or a folder holding one) to count tokens over every record.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing audit folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary table.")
@progress_options
@user_errors
def audit(
    inputs: tuple[Path, ...],
    out_dir: Path,
    fmt: str,
    columns: tuple[str, ...],
    license_: str | None,
    skip: tuple[str, ...],
    settings: tuple[str, ...],
    workers: int | None,
    sample: str | None,
    seed: int,
    tokenizer: Path | None,
    overwrite: bool,
    quiet: bool,
    progress_mode: str,
    progress_every: float,
) -> None:
    """Run every annotator over INPUTS in tag mode (nothing removed); write OUT/report.html and .json."""
    from curator.audit import parse_settings, plan_audit, run_audit, sampled_types
    from curator.estimates import SampleSpec
    from curator.progress import RunProgress, print_summary
    from curator.recipe import Recipe

    spec = SampleSpec.parse(sample, seed) if sample is not None else None
    plan = plan_audit(skip, parse_settings(settings), sampled_types(spec))
    preview = Recipe.model_validate({"sources": [{"name": "x", "path": "x"}], "stages": plan.stages})
    with RunProgress(
        preview, enabled=not quiet, mode=progress_mode, interval=progress_every  # type: ignore[arg-type]
    ) as progress:
        result = run_audit(
            list(inputs),
            out_dir,
            fmt=fmt,
            columns=parse_columns(columns),
            license=license_,
            skip=skip,
            settings=parse_settings(settings),
            workers=workers,
            overwrite=overwrite,
            on_report=progress.on_report,
            on_planned=progress.on_planned,
            sample=spec,
            tokenizer=tokenizer,
        )
    if not quiet:
        from curator.audit import top_flags

        print_summary(result.run, out_dir, command="curator audit")
        for stage_type, why in result.plan.skipped.items():
            click.echo(f"left out: {stage_type}: {why}")
        for line in top_flags(out_dir):
            click.echo(line)
        from curator.audit_corpus import summary_lines

        for line in summary_lines(out_dir):
            click.echo(line)
        click.echo(f"the recipe it ran: {result.recipe_path} (edit it, then `curator run` it)")


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--title", help="Report title (default: from the run).")
@user_errors
def report(run_dir: Path, title: str | None) -> None:
    """(Re)write RUN_DIR/report.json and report.html from a finished run's files and manifest."""
    from curator.report.builder import write_report
    from curator.report.overview import is_audit
    from curator.run import RunFolder

    manifest = RunFolder(run_dir).read_manifest()
    kind = "audit" if is_audit(manifest) else "run"
    built = write_report(run_dir, kind=kind, title=title, manifest=manifest)
    for error in built.errors:
        click.echo(f"warning: report section {error['section']} failed: {error['error']}", err=True)
    summary = f"{built.records:,} records, {built.seconds:.1f}s"
    click.echo(f"wrote {RunFolder(run_dir).report_html} and report.json ({summary})")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
