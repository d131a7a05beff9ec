"""Token counts from the model's tokenizer, chat template applied, as the trainer sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLE_DATA, light_sample_recipe
from test_train import chatml_tokenizer

from curator.errors import CuratorError
from curator.pipeline import run_recipe
from curator.progress import summary_lines
from curator.recipe import load_recipe
from curator.tokens import TokenCounter, make_counter

GPT_NEO = ROOT.parent / "shared" / "data" / "tokenizers" / "gpt-neo-tokenizer.json"
CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Name the three primary colours, please."},
    {"role": "assistant", "content": "Red, blue and yellow."},
    {"role": "user", "content": "And secondary?"},
    {"role": "assistant", "content": "Green, orange and purple."},
]


@pytest.fixture(scope="module")
def tokenizer_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tok") / "chatml"
    chatml_tokenizer().save_pretrained(str(folder))
    return folder


def test_counts_follow_the_chat_template(tokenizer_folder: Path) -> None:
    import transformers

    counter = make_counter(str(tokenizer_folder), Path("/"))
    [counts] = counter.counts([{"messages": CONVERSATION}])
    reference = transformers.AutoTokenizer.from_pretrained(str(tokenizer_folder), local_files_only=True)
    rendered = reference.apply_chat_template(CONVERSATION, tokenize=False)
    assert counts.total == len(reference(rendered, add_special_tokens=False)["input_ids"])
    answers = sum(len(reference(m["content"], add_special_tokens=False)["input_ids"])
                  for m in CONVERSATION if m["role"] == "assistant")
    # the assistant tokens are the answers plus each answer's end-of-turn marker, nothing of the prompt
    assert answers <= counts.assistant <= answers + 2 * 3
    assert counts.assistant < counts.total
    assert "chat template" in counter.label


@pytest.mark.skipif(not GPT_NEO.is_file(), reason=f"{GPT_NEO} is absent (shared data)")
def test_a_bare_tokenizer_json_counts_turn_tokens_and_says_so() -> None:
    from tokenizers import Tokenizer

    counter = make_counter(str(GPT_NEO), Path("/"))
    [counts] = counter.counts([{"messages": CONVERSATION}])
    raw = Tokenizer.from_file(str(GPT_NEO))
    lengths = {
        m["content"]: len(raw.encode(m["content"], add_special_tokens=False).ids) for m in CONVERSATION
    }
    assert counts.total == sum(lengths.values())
    assert counts.assistant == sum(lengths[m["content"]] for m in CONVERSATION if m["role"] == "assistant")
    assert "turns only" in counter.label


def test_whitespace_words_are_the_labelled_fallback() -> None:
    counter = make_counter(None, Path("/"))
    assert type(counter) is TokenCounter and "whitespace words" in counter.label
    [counts] = counter.counts([{"messages": CONVERSATION}])
    assert (counts.total, counts.assistant) == (2 + 6 + 4 + 2 + 4, 8)


def test_a_missing_tokenizer_is_an_error_that_never_downloads(tmp_path: Path) -> None:
    for spec in ("no_such_folder", "someone/not-in-the-cache"):
        with pytest.raises(CuratorError, match="never downloads"):
            make_counter(spec, tmp_path)


def test_length_stage_filters_by_tokens_and_the_report_draws_them(tmp_path: Path, tokenizer_folder) -> None:
    recipe = light_sample_recipe(tmp_path, keep=("length",))
    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    data["stages"] = [{"type": "length", "tokenizer": str(tokenizer_folder), "max_tokens": 120}]
    data.pop("mixtures")
    recipe.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    counter = make_counter(str(tokenizer_folder), Path("/"))
    files = sorted((tmp_path / "run" / "data").glob("*.jsonl"))
    kept = [json.loads(line) for p in files for line in p.open()]
    for record in kept:  # every kept record: counted, within the limit, and the count is the counter's
        tokens = record["annotations"]["extra"]["tokens"]
        assert tokens["total"] <= 120 and tokens["unit"] == str(tokenizer_folder)
        assert tokens["total"] == counter.counts([record])[0].total
    removed = [json.loads(line) for line in (tmp_path / "run" / "removed" / "length.jsonl").open()]
    too_long = [r for r in removed if r["reason"] == "too_many_tokens"]
    assert too_long and all(r["record"]["annotations"]["extra"]["tokens"]["total"] > 120 for r in too_long)
    assert manifest["stages"][0]["removed_by_reason"]["too_many_tokens"] == len(too_long)
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    lengths = next(s for s in report["sections"] if s["key"] == "lengths")
    titles = [c["title"] for c in lengths["charts"]]
    assert any(t.startswith("Tokens per conversation (") and "chat template" in t for t in titles)
    assert any(t.startswith("Assistant tokens (") for t in titles)


def test_mixture_budget_in_chat_template_tokens(tmp_path: Path, tokenizer_folder) -> None:
    recipe = light_sample_recipe(tmp_path, keep=())
    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    data["mixtures"] = [
        {"name": "tok", "weights": {"dolly_open_qa": 1}, "unit": "tokens", "size": 5000,
         "tokenizer": str(tokenizer_folder), "format": "messages", "file_format": "jsonl"},
        {"name": "words", "weights": {"dolly_open_qa": 1}, "unit": "tokens", "size": 5000,
         "format": "messages", "file_format": "jsonl"},
    ]
    recipe.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run_recipe(load_recipe(recipe), tmp_path / "run")
    manifest = result.manifest
    rows = [json.loads(line) for p in sorted((tmp_path / "run" / "mixtures" / "tok" / "data").glob("*"))
            for line in p.open()]
    counter = make_counter(str(tokenizer_folder), Path("/"))
    counted = sum(c.total for c in counter.counts(rows))
    assert counted == manifest["mixtures"]["tok"]["tokens"]
    assert abs(counted - 5000) < 300
    lines = summary_lines(result.run)
    assert any(line.startswith("mixture words:") and "whitespace words" in line for line in lines)
    assert any(line.startswith("mixture tok:") and " tokens, " in line for line in lines)
    assert SAMPLE_DATA.is_dir()
