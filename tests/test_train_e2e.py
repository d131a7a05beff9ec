"""The SFT runner end to end on CPU: proxy-tiny learns the sample data, runs are deterministic, a local
Hugging Face model folder trains, and a run's mixtures are ranked against the uncurated baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA, write_recipe

from curator.cli import cli
from curator.records import InstructionRecord
from curator.train.data import load_eval_sets, load_mixtures
from curator.train.runner import train_records
from curator.validation import EvalSetConfig, TrainConfig

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One CPU thread: these models are tiny, and on a busy machine (CI, shared runners) two OpenMP
    threads that wait for each other are several times slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


EVAL = SAMPLE_DATA / "user_oriented_instructions.jsonl"
# Small enough for 2 CPU cores; every mixture of a test gets the same budget.
QUICK = ["--steps", "3", "--seq-len", "256", "--batch-size", "2", "--max-eval-examples", "8"]
QUICK += ["--max-generate", "2", "--max-new-tokens", "8", "--log-every", "1", "--threads", "1"]


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_proxy_tiny_trains_on_the_sample_data_and_held_out_loss_drops(tmp_path: Path) -> None:
    out = tmp_path / "train"
    result = invoke(
        "train", SAMPLE_DATA / "alpaca_52k_slice.json", "--eval", EVAL, "--out", out,
        "--steps", "30", "--seq-len", "512", "--batch-size", "2", "--max-eval-examples", "32",
        "--max-generate", "4", "--max-new-tokens", "24", "--save-model", "--threads", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seconds"] < 60, "proxy-tiny on the sample data must train end to end in under a minute"
    before = metrics["eval_initial"]["user_oriented_instructions"]
    after = metrics["eval"]["user_oriented_instructions"]
    assert after["loss"] < before["loss"] - 1.0  # from ln(264) ≈ 5.6 nats towards byte-level English
    assert after["bits_per_byte"] < before["bits_per_byte"]
    assert after["generated"] == 4 and 0 <= after["rouge_l"] <= 1
    curve = metrics["train"]["loss_curve"]
    assert len(curve) == 30 and curve[-1]["loss"] < curve[0]["loss"]
    assert metrics["runtime"]["packing"] == "position_ids"
    assert metrics["train"]["tokens_per_second"] > 0
    assert (out / "loss_curve.png").stat().st_size > 0
    assert len((out / "generations" / "user_oriented_instructions.jsonl").read_text().splitlines()) == 4
    # The saved folder loads again as a model (same held-out loss before any further step).
    again = invoke(
        "train", SAMPLE_DATA / "alpaca_5000_slice.json", "--eval", EVAL, "--out", tmp_path / "again",
        "--model", out / "model", "--steps", "1", "--batch-size", "1", "--max-eval-examples", "32",
        "--max-generate", "0", "--threads", "1",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    reloaded = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert reloaded["eval_initial"]["user_oriented_instructions"]["loss"] == pytest.approx(
        after["loss"], rel=1e-5
    )


def test_a_proxy_with_a_bpe_learnt_from_its_training_set_trains_saves_and_reloads(tmp_path: Path) -> None:
    out = tmp_path / "bpe"
    args = ["--eval", EVAL, "--max-eval-examples", "16", "--max-generate", "0", "--threads", "1"]
    args += ["--seq-len", "256"]
    result = invoke(
        "train", SAMPLE_DATA / "alpaca_52k_slice.json", "--out", out, *args, "--steps", "20",
        "--batch-size", "2", "--tokenizer", "bpe", "--vocab-size", "512", "--save-model",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["vocab_size"] == 512 and "default chat template" in metrics["model"]["tokenizer"]
    before = metrics["eval_initial"]["user_oriented_instructions"]
    after = metrics["eval"]["user_oriented_instructions"]
    assert after["bits_per_byte"] < before["bits_per_byte"]
    assert (out / "model" / "tokenizer.json").is_file()
    # The folder loads again with its own tokenizer: the same held-out loss before any further step.
    again = invoke("train", SAMPLE_DATA / "alpaca_5000_slice.json", "--out", tmp_path / "again", *args,
                   "--model", out / "model", "--steps", "1", "--batch-size", "1")  # fmt: skip
    assert again.exit_code == 0, again.output
    reloaded = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert reloaded["model"]["vocab_size"] == 512
    initial = reloaded["eval_initial"]["user_oriented_instructions"]
    assert initial["loss"] == pytest.approx(after["loss"], rel=1e-5)


def test_training_is_deterministic_on_cpu(tmp_path: Path) -> None:
    data = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json")[0]
    evals = load_eval_sets([EvalSetConfig(path=str(EVAL))], SAMPLE_DATA)
    config = TrainConfig(
        steps=3,
        seq_len=256,
        batch_size=2,
        grad_accum=2,
        log_every=1,
        max_eval_examples=8,
        max_generate=0,
        device="cpu",
    )
    first = train_records(data, evals, config, tmp_path / "a")
    second = train_records(data, evals, config, tmp_path / "b")
    assert [p["loss"] for p in first["train"]["loss_curve"]] == [
        p["loss"] for p in second["train"]["loss_curve"]
    ]
    assert first["eval"] == second["eval"]
    other = train_records(data, evals, config.model_copy(update={"seed": 1}), tmp_path / "c")
    assert other["train"]["loss_curve"] != first["train"]["loss_curve"]


def test_rows_per_forward_pass_change_memory_not_training(tmp_path: Path) -> None:
    """A micro-batch run a row or two at a time (the CPU default) trains like one pass over it: the
    same rows, the same tokens, the same gradient up to float rounding, so the same curve and evals;
    and it matches the same batch spread over gradient accumulation."""
    data = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json")[0]
    evals = load_eval_sets([EvalSetConfig(path=str(EVAL))], SAMPLE_DATA)
    base = TrainConfig(
        model="proxy-tiny", steps=4, seq_len=256, batch_size=4, log_every=1, max_eval_examples=8,
        max_generate=0, device="cpu", eval_at_start=False,
    )  # fmt: skip
    assert base.effective_forward_rows("cpu") == 2 and base.effective_forward_rows("cuda") == 4
    runs = {
        rows: train_records(data, evals, base.model_copy(update={"forward_rows": rows}), tmp_path / str(rows))
        for rows in (4, 2, 1)
    }
    accumulated = train_records(
        data, evals, base.model_copy(update={"batch_size": 1, "grad_accum": 4}), tmp_path / "accum"
    )

    def curve(run):
        return [p["loss"] for p in run["train"]["loss_curve"]]

    whole = runs[4]
    for run in (runs[2], runs[1]):
        assert run["train"]["tokens"] == whole["train"]["tokens"]
        assert curve(run) == pytest.approx(curve(whole), rel=1e-5)
        assert run["eval"]["user_oriented_instructions"]["loss"] == pytest.approx(
            whole["eval"]["user_oriented_instructions"]["loss"], rel=1e-5
        )
    # Not vacuous: the loss moves over the steps, and gradient accumulation over 4 one-row
    # micro-batches lays out the same rows, so it lands on the same curve too.
    assert curve(whole)[-1] < curve(whole)[0]
    assert accumulated["train"]["tokens"] == whole["train"]["tokens"]
    assert curve(accumulated) == pytest.approx(curve(whole), rel=1e-5)


def test_a_local_hugging_face_model_folder_trains_with_its_chat_template(tmp_path: Path) -> None:
    from test_train import chatml_tokenizer

    tokenizer = chatml_tokenizer()
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    folder = tmp_path / "hf-model"
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    result = invoke(
        "train", SAMPLE_DATA / "alpaca_5000_slice.json", "--eval", EVAL, "--out", tmp_path / "out",
        "--model", folder, "--lr", "1e-3", *QUICK,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["model"]["kind"] == "folder" and "its own chat template" in metrics["model"]["tokenizer"]
    assert metrics["eval"]["user_oriented_instructions"]["bits_per_byte"] > 0


def write_mixture(folder: Path, records: list[InstructionRecord]) -> None:
    """A mixture folder as the mixtures stage writes one: messages rows plus a card."""
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(f"# {folder.name}\n")
    with (folder / "data-00000.jsonl").open("w") as handle:
        for record in records:
            handle.write(
                json.dumps({"messages": [m.model_dump(exclude_none=True) for m in record.messages]}) + "\n"
            )


def test_validation_ranks_two_mixtures_against_the_uncurated_baseline(tmp_path: Path) -> None:
    shutil.copy(EVAL, tmp_path / "eval.jsonl")
    shutil.copy(SAMPLE_DATA / "alpaca_52k_slice.json", tmp_path / "alpaca.json")
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: alpaca, path: alpaca.json}\nstages:\n  - type: length\n  - type: exact_dedup\n"
        "validation:\n  eval: [eval.jsonl]\n  steps: 2\n  seq_len: 256\n  batch_size: 2\n"
        "  max_eval_examples: 8\n  max_generate: 2\n  max_new_tokens: 8\n  threads: 1\n",
    )
    run = tmp_path / "run"
    # `curator run` with `validation:` trains the baseline and the run's output (one mixture: curated).
    result = invoke("run", recipe, "--out", run, "-q")
    assert result.exit_code == 0, result.output
    scorecard = json.loads((run / "validation" / "scorecard.json").read_text())
    assert {e["name"] for e in scorecard["entries"]} == {"baseline", "curated"}

    # Two mixtures + the baseline, with the recipe's eval set and budget, from `validate-mixtures`.
    curated = load_mixtures(run)[0].records
    write_mixture(run / "mixtures" / "short", [r for r in curated if len(r.messages[1].content) < 300])
    write_mixture(run / "mixtures" / "long", [r for r in curated if len(r.messages[1].content) >= 300])
    result = invoke("validate-mixtures", run, "--overwrite", "--log-every", "1", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert "| rank | mixture |" in result.stdout
    # Mixtures are streamed: the progress line must not claim they hold 0 records.
    assert "training on short (streamed)" in result.output and "(0 records)" not in result.output
    out = run / "validation"
    scorecard = json.loads((out / "scorecard.json").read_text())
    entries = scorecard["entries"]
    assert [e["rank"] for e in entries] == [1, 2, 3]
    assert {e["name"] for e in entries} == {"baseline", "short", "long"}
    bpb = [e["mean_bits_per_byte"] for e in entries]
    assert bpb == sorted(bpb)
    baseline = next(e for e in entries if e["kind"] == "baseline")
    assert baseline["delta_bits_per_byte"] is None and baseline["rows_not_records"] == 0
    for entry in entries:
        if entry["kind"] == "mixture":
            assert entry["delta_bits_per_byte"] == pytest.approx(
                entry["mean_bits_per_byte"] - baseline["mean_bits_per_byte"]
            )
            assert entry["beats_baseline"] == (entry["delta_bits_per_byte"] < 0)
    assert scorecard["budget"]["steps"] == 2 and scorecard["budget"]["tokens_per_step"] == 512
    assert (out / "scorecard.md").read_text().startswith("# Mixture scorecard")
    assert (out / "scorecard.png").stat().st_size > 0
    for name in ("baseline", "short", "long"):
        assert json.loads((out / name / "metrics.json").read_text())["budget"]["steps"] == 2


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["train", str(EVAL), "--eval", str(EVAL), "--out", str(tmp_path / "x"), "--model", "./missing/model"],
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["error: model folder not found: ./missing/model"]
    assert not (tmp_path / "x").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "data.jsonl").write_text("")
    result = CliRunner().invoke(cli, ["train", str(empty), "--eval", str(EVAL), "--out", str(tmp_path / "y")])
    assert result.exit_code == 2
    assert result.output.startswith("error: mixture 'empty'") and len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(cli, ["validate-mixtures", str(tmp_path)])
    assert result.exit_code == 2 and "no manifest.json" in result.output
    # A recipe's validation section is checked before the run writes anything.
    shutil.copy(SAMPLE_DATA / "alpaca_5000_slice.json", tmp_path / "alpaca.json")
    recipe = write_recipe(
        tmp_path, "sources:\n  - {name: a, path: alpaca.json}\nvalidation:\n  eval: [missing.jsonl]\n"
    )
    result = CliRunner().invoke(cli, ["run", str(recipe), "--out", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 2 and "missing.jsonl" in result.output
    assert not (tmp_path / "run").exists()
