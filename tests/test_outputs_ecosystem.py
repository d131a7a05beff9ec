"""Outputs load in the tools users run: TRL (conversational), `datasets`, the Hub's card metadata."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLE_DATA, light_sample_recipe
from test_train import chatml_tokenizer

from curator.pipeline import run_recipe
from curator.recipe import load_recipe

HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


@pytest.fixture(scope="module")
def mixtures_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("formats")
    recipe = light_sample_recipe(folder, keep=("length", "quality", "exact_dedup", "licence"))
    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    weights = {"alpaca_52k": 0.5, "dolly_open_qa": 0.3, "messy_chat": 0.2}
    data["mixtures"] = [
        {"name": f"mix_{fmt}", "by": "source", "weights": weights, "size": 40, "format": fmt}
        for fmt in ("messages", "prompt_completion", "sharegpt", "alpaca")
    ]
    recipe.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run_recipe(load_recipe(recipe), folder / "run")
    return folder / "run", result.manifest


def card_meta(folder: Path) -> dict:
    _, head, _ = (folder / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head)


def test_conversational_mixtures_are_conversational_for_trl(mixtures_run) -> None:
    from datasets import load_dataset
    from trl.data_utils import is_conversational

    run_dir, _ = mixtures_run
    for fmt, conversational in (("messages", True), ("prompt_completion", True), ("sharegpt", False)):
        rows = load_dataset(str(run_dir / "mixtures" / f"mix_{fmt}"), split="train")
        assert len(rows) == 40
        assert all(is_conversational(row) == conversational for row in rows), fmt
    pc = load_dataset(str(run_dir / "mixtures" / "mix_prompt_completion"), split="train")
    for row in pc:
        assert [m["role"] for m in row["completion"]] == ["assistant"]
        assert row["prompt"] and row["prompt"][-1]["role"] == "user"
    sharegpt = (run_dir / "mixtures" / "mix_sharegpt" / "README.md").read_text(encoding="utf-8")
    assert "TRL does not read it as conversational" in sharegpt


@pytest.mark.parametrize("fmt", ["messages", "prompt_completion"])
def test_trl_sft_trainer_trains_on_a_mixture_with_no_glue(mixtures_run, fmt: str, tmp_path: Path) -> None:
    import torch
    import transformers
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    run_dir, _ = mixtures_run
    rows = load_dataset(str(run_dir / "mixtures" / f"mix_{fmt}"), split="train")
    tokenizer = chatml_tokenizer()
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    model = transformers.LlamaForCausalLM(config)
    args = SFTConfig(
        output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=4, max_length=256,
        report_to=[], use_cpu=True, save_strategy="no", logging_steps=1, dataloader_num_workers=0,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=rows, processing_class=tokenizer)
    sample = trainer.train_dataset[0]
    if fmt == "prompt_completion":  # TRL learns the completion only: the prompt's labels are masked
        masked = [label == -100 for label in sample["labels"]]
        assert masked[0] and not all(masked)
    result = trainer.train()
    assert math.isfinite(result.training_loss) and result.training_loss > 0


def test_dataset_cards_are_accepted_by_huggingface_hub(mixtures_run) -> None:
    from huggingface_hub import DatasetCard, DatasetCardData

    run_dir, manifest = mixtures_run
    for name, mixture in manifest["mixtures"].items():
        folder = run_dir / "mixtures" / name
        meta = card_meta(folder)
        data = DatasetCardData(**meta)  # raises on unknown shapes of the known keys
        assert data.to_dict()["license"] == meta["license"]
        card = DatasetCard((folder / "README.md").read_text(encoding="utf-8"))
        assert card.data.to_dict() == DatasetCardData(**meta).to_dict()
        for source in meta.get("source_datasets", []):
            assert HUB_ID.match(source), (name, source)  # Hub ids only: no URLs, no local names
        assert "databricks/databricks-dolly-15k" in meta["source_datasets"]
        splits = meta["dataset_info"]["splits"]
        data_bytes = sum(f.stat().st_size for f in (folder / "data").iterdir())
        assert splits == [{"name": "train", "num_bytes": data_bytes, "num_examples": mixture["records"]}]


def test_removed_files_load_together_with_datasets(mixtures_run) -> None:
    from datasets import load_dataset

    from curator.removed import removed_detail

    run_dir, manifest = mixtures_run
    files = sorted((run_dir / "removed").glob("*.jsonl"))
    assert len(files) >= 3  # length, quality, exact_dedup: three shapes of detail
    rows = load_dataset("json", data_files=str(run_dir / "removed" / "*.jsonl"), split="train")
    assert rows.column_names == ["stage", "reason", "detail", "record"]
    assert len(rows) == manifest["counts"]["removed"]
    details = {row["stage"]: removed_detail(row) for row in rows}
    assert set(details["exact_dedup"]) == {"duplicate_of", "similarity"}
    assert "check" in details["quality"]


def test_convert_refuses_an_extension_that_does_not_match_its_output(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from curator.cli import cli

    source = str(SAMPLE_DATA / "dolly_open_qa_text.jsonl")
    runner = CliRunner()
    for name in ("x.csv", "x.json", "x", "x.parquet.gz"):
        result = runner.invoke(cli, ["convert", source, "--to", "messages", "--out", str(tmp_path / name)])
        assert result.exit_code == 2, (name, result.output)
        assert result.output.startswith("error: ") and "JSON Lines" in result.output
        assert not (tmp_path / name).exists()
    for name in ("x.jsonl", "x.jsonl.gz", "x.parquet"):
        result = runner.invoke(cli, ["convert", source, "--to", "messages", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, (name, result.output)
