"""The `curator` command. Thin: parse arguments, call the library, print results.

User errors (CuratorError) print one line and exit 2; `validate` exits 1 when it finds bad rows.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

import curator
from curator.errors import CuratorError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(function: F) -> F:
    """Print a CuratorError as one line on stderr and exit 2, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except CuratorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def parse_columns(pairs: tuple[str, ...]) -> dict[str, str]:
    columns = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise CuratorError(f"--columns expects SOURCE=TARGET (e.g. question=instruction), got {pair!r}")
        columns[source] = target
    return columns


FORMAT_CHOICE = click.Choice(
    ["auto", "alpaca", "sharegpt", "messages", "dolly", "text", "prompt_completion", "self_instruct"]
)
COLUMNS_OPTION = click.option(
    "--columns", multiple=True, metavar="SRC=DST", help="Rename a field before adapting (repeatable)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(curator.__version__, prog_name="curator")
def cli() -> None:
    """Curate instruction-tuning data into clean, documented, licence-checked mixtures."""


@cli.command()
@click.argument("recipe", type=click.Path(path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), help="Run folder (default: runs/<recipe name>)."
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
@user_errors
def run(
    recipe: Path,
    out_dir: Path | None,
    workers: int | None,
    overwrite: bool,
    quiet: bool,
    engine: str,
    ray_address: str | None,
) -> None:
    """Run RECIPE: read sources, run stages, write kept/removed/rejected records and a manifest."""
    from curator.pipeline import run_recipe
    from curator.progress import RunProgress, print_summary
    from curator.recipe import load_recipe

    loaded = load_recipe(recipe)
    out_dir = out_dir or Path("runs") / loaded.recipe.name
    with RunProgress(loaded.recipe, enabled=not quiet) as progress:
        result = run_recipe(
            loaded,
            out_dir,
            workers=workers,
            overwrite=overwrite,
            on_report=progress.on_report,
            on_planned=progress.on_planned,
            engine=engine,
            ray_address=ray_address,
        )
    if not quiet:
        print_summary(result.manifest, out_dir)


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
    """Write JSON Schema files for the record and the recipe."""
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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
