"""The SFT runner's parts: templates and assistant-only labels, packing without cross-example attention,
bits per byte, ROUGE-L, decontamination, the schedule, batched generation, and clear errors."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_DATA

from curator.errors import CuratorError, RecipeError
from curator.recipe import parse_recipe
from curator.records import InstructionRecord, Message
from curator.train.chat import IGNORE, ByteChatEncoder, HFChatEncoder
from curator.train.data import discover, load_mixtures
from curator.train.decontam import find_overlap
from curator.train.metrics import exact_match, lcs_length, rouge_l
from curator.train.packing import assign_rows, block_diagonal_mask, pack
from curator.validation import TrainConfig

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


CONVERSATION = [
    Message(role="system", content="Be brief."),
    Message(role="user", content="Say hi."),
    Message(role="assistant", content="Héllo 你好"),
    Message(role="user", content="Again?"),
    Message(role="assistant", content="Hi!"),
]
ANSWER_BYTES = len("Héllo 你好".encode()) + len(b"Hi!")


def record(user: str, assistant: str, row: int = 0, source: str = "s") -> InstructionRecord:
    return InstructionRecord(
        messages=[{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        provenance={"source": source, "row": row},
    )


def chatml_tokenizer():
    """A small byte-level BPE fast tokenizer with a ChatML template, built offline."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    texts = [c.content for c in CONVERSATION] + ["the quick brown fox jumps over the lazy dog"] * 5
    tok.train_from_iterator(texts, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    fast.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    return fast


# -- assistant-only labels ---------------------------------------------------------------------------


def learned_ids(encoded) -> list[int]:
    return encoded.targets[encoded.targets != IGNORE].tolist()


def test_byte_template_learns_only_assistant_text_and_end_markers() -> None:
    encoder = ByteChatEncoder()
    encoded = encoder.encode(CONVERSATION, 4096)
    end = encoder.tokenizer.end_id
    learned = learned_ids(encoded)
    assert learned == [*"Héllo 你好".encode(), end, *b"Hi!", end]
    # Every prompt token (system, user, role headers) is context only: never a target.
    assert (encoded.targets == IGNORE).sum() == len(encoded) - len(learned)
    assert b"Be brief." not in bytes(t for t in learned if t < 256)
    assert encoded.target_bytes.sum() == ANSWER_BYTES
    # Targets are the next token: the answer's first byte is predicted from the assistant header's newline.
    first = int(np.argmax(encoded.targets != IGNORE))
    assert encoded.input_ids[first + 1] == encoded.targets[first]


def test_hf_chat_template_learns_only_assistant_spans_with_utf8_byte_counts() -> None:
    encoder = HFChatEncoder(chatml_tokenizer())
    encoded = encoder.encode(CONVERSATION, 4096)
    text = encoder.tokenizer.decode(learned_ids(encoded))
    assert text == "Héllo 你好<|im_end|>\nHi!<|im_end|>\n"
    assert encoded.target_bytes.sum() == ANSWER_BYTES  # bits per byte uses the same bytes for any tokenizer
    prompt = encoder.decode(encoder.prompt_ids(CONVERSATION[:4]))
    assert prompt.endswith("assistant\n") and "Again?" in prompt
    assert encoder.tokenizer.eos_token_id in encoder.stop_ids


def test_hf_tokenizer_without_template_uses_the_default_one() -> None:
    tokenizer = chatml_tokenizer()
    tokenizer.chat_template = None
    encoder = HFChatEncoder(tokenizer)
    encoded = encoder.encode(CONVERSATION, 4096)
    assert encoder.tokenizer.decode(learned_ids(encoded)) == "Héllo 你好<|im_end|>Hi!<|im_end|>"
    assert encoded.target_bytes.sum() == ANSWER_BYTES


def test_a_proxys_bpe_is_learnt_deterministically_and_counts_every_answer_byte() -> None:
    from curator.train.tokenizer import SPECIALS, train_bpe

    texts = [m.content for m in CONVERSATION] + [
        r["instruction"] + " " + r["output"]
        for r in __import__("json").loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())
    ]
    first, second = train_bpe(texts, 600), train_bpe(texts, 600)
    assert first.backend_tokenizer.to_str() == second.backend_tokenizer.to_str()  # same texts, same BPE
    assert len(first) == 600 and first.convert_tokens_to_ids(list(SPECIALS)) == list(range(len(SPECIALS)))
    encoder = HFChatEncoder(first)
    encoded = encoder.encode(CONVERSATION, 4096)
    # the default template, each role marker one special token, as with the byte tokenizer
    assert encoder.decode(learned_ids(encoded)) == "Héllo 你好Hi!"  # (the end markers are special)
    assert encoded.input_ids[:2].tolist() == first.convert_tokens_to_ids(["<|bos|>", "<|system|>"])
    assert encoded.target_bytes.sum() == ANSWER_BYTES  # bits per byte stays comparable with the byte proxy
    english = [Message(role="user", content=texts[-1]), Message(role="assistant", content=texts[-2])]
    assert len(encoder.encode(english, 4096)) * 2 < len(ByteChatEncoder().encode(english, 4096))  # 600 tokens


def test_truncation_keeps_bytes_of_what_is_left_and_drops_examples_with_nothing_to_learn() -> None:
    encoder = ByteChatEncoder()
    long = [Message(role="user", content="q"), Message(role="assistant", content="a" * 100)]
    cut = encoder.encode(long, 40)
    assert len(cut) == 40 and cut.truncated
    assert cut.target_bytes.sum() == (cut.targets != IGNORE).sum()  # one byte per learned byte token
    assert encoder.encode([Message(role="user", content="x" * 100), long[1]], 40) is None


# -- packing ------------------------------------------------------------------------------------------


def test_first_fit_packing_keeps_examples_whole() -> None:
    rows = assign_rows([5, 4, 3, 2, 6], seq_len=10)
    assert sorted(i for row in rows for i in row) == [0, 1, 2, 3, 4]
    assert all(sum([5, 4, 3, 2, 6][i] for i in row) <= 10 for row in rows)
    assert assign_rows([5, 4], seq_len=10, pack=False) == [[0], [1]]


def test_block_diagonal_mask_is_causal_within_each_example_only() -> None:
    positions = torch.tensor([[0, 1, 2, 0, 1]])
    allowed = block_diagonal_mask(positions, torch.bool)[0, 0]
    expected = torch.tensor(
        [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 1, 1]],
        dtype=torch.bool,
    )
    assert torch.equal(allowed, expected)


def per_example_loss(runtime, examples, seq_len: int) -> list[float]:
    """Summed NLL of each example, computed from one packed row."""
    rows = pack(examples, seq_len, runtime.loaded.encoder.pad_id)
    assert len(rows) == 1, "the examples must fit in one row for this test"
    with torch.no_grad():
        logits = runtime.logits(torch.from_numpy(rows.input_ids), torch.from_numpy(rows.position_ids))
    nll = torch.nn.functional.cross_entropy(
        logits[0].float(), torch.from_numpy(rows.targets[0]), ignore_index=IGNORE, reduction="none"
    )
    out, at = [], 0
    for example in examples:
        out.append(float(nll[at : at + len(example)].sum()))
        at += len(example)
    return out


def one_by_one_loss(runtime, example) -> float:
    with torch.no_grad():
        logits = runtime.logits(torch.from_numpy(example.input_ids[None]), torch.arange(len(example))[None])
    return float(
        torch.nn.functional.cross_entropy(
            logits[0].float(), torch.from_numpy(example.targets), ignore_index=IGNORE, reduction="sum"
        )
    )


@pytest.mark.parametrize(
    ("attention", "isolation"), [("sdpa", "position_ids"), ("sdpa", "block_mask"), ("eager", "block_mask")]
)
def test_packed_batch_gives_each_example_the_same_loss_as_alone(attention: str, isolation: str) -> None:
    from curator.train.loop import Runtime, choose_isolation
    from curator.train.models import load_model

    loaded = load_model(TrainConfig(model="proxy-tiny", seed=3), attention)
    loaded.model.eval()
    runtime = Runtime(loaded, torch.device("cpu"), "fp32", attention)
    assert choose_isolation(runtime) in ("position_ids", "block_mask")
    runtime.isolation = isolation
    records = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json")[0].records
    examples = [loaded.encoder.encode(r.messages, 4096) for r in records[:4]]
    packed = per_example_loss(runtime, examples, sum(len(e) for e in examples) + 7)
    alone = [one_by_one_loss(runtime, e) for e in examples]
    assert packed == pytest.approx(alone, rel=1e-5, abs=1e-4)
    # The check is not vacuous: with positions running on, the second example attends to the first.
    first, second = examples[0], examples[1]
    both = torch.from_numpy(np.concatenate([first.input_ids, second.input_ids])[None])
    with torch.no_grad():
        leaked = runtime.logits(both, torch.arange(both.shape[1])[None])[0, len(first) :]
        alone_logits = runtime.logits(both[:, len(first) :], torch.arange(len(second))[None])[0]
    assert not torch.allclose(leaked, alone_logits, atol=1e-3)


# -- metrics ------------------------------------------------------------------------------------------


def test_rouge_l_and_exact_match() -> None:
    assert lcs_length(["a", "b", "c", "d"], ["a", "c", "d", "e"]) == 3
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    # LCS "the cat the mat" = 4 of 6 prediction and 6 reference tokens: F1 = 4/6.
    assert rouge_l("the cat is on the mat", "the cat sat beside the mat") == pytest.approx(4 / 6)
    assert rouge_l("", "something") == 0.0
    assert rouge_l("你好世界", "你好") == pytest.approx(2 * (0.5 * 1) / 1.5)  # CJK: one token per character
    assert exact_match("  Confident. ", "confident") == 1.0
    assert exact_match("Not confident", "Confident") == 0.0


def test_bits_per_byte_is_nats_over_ln2_bytes() -> None:
    from curator.train.evaluate import EvalData, eval_loss
    from curator.train.loop import Runtime
    from curator.train.models import load_model

    loaded = load_model(TrainConfig(model="proxy-tiny"), "sdpa")
    runtime = Runtime(loaded, torch.device("cpu"), "fp32", "sdpa")
    examples = [loaded.encoder.encode(CONVERSATION, 512)]
    data = EvalData("x", pack(examples, 512, loaded.encoder.pad_id), 1, 0, 0, [], [], [])
    result = eval_loss(runtime, data, 4)
    assert result["bytes"] == ANSWER_BYTES
    assert result["tokens"] == ANSWER_BYTES + 2  # one token per byte, plus the two end-of-turn markers
    assert result["bits_per_byte"] == pytest.approx(
        result["loss"] * result["tokens"] / (math.log(2) * ANSWER_BYTES)
    )


# -- decontamination ----------------------------------------------------------------------------------


def test_decontamination_finds_ngram_and_prompt_overlap() -> None:
    eval_set = [
        record("Write a poem about the sea and the sky and the wind over the water at night.", "Waves."),
        record("Classify the tone of this email please", "Formal"),
    ]
    train = [
        record("Continue: the sea and the sky and the wind over the water at night today", "ok", row=1),
        record("classify the TONE of this email, please!", "Informal", row=2),
        record("Something unrelated to any of the eval prompts at all.", "Fine.", row=3),
    ]
    # The prompt check: prompts alone, an eval prompt of 4+ words matched whole (one implementation).
    overlap = find_overlap(train, eval_set, 13, text="user", eval_text="user", min_words=4)
    assert overlap.train_ids == {train[0].id, train[1].id}
    assert overlap.eval_ids == {eval_set[0].id, eval_set[1].id}
    # The decontamination stage's check when it is installed (the one the runner uses), else the same.
    found = find_overlap(train, eval_set, 13)
    assert train[0].id in found.train_ids and train[2].id not in found.train_ids


# -- schedule, data, errors ---------------------------------------------------------------------------


def test_warmup_then_cosine_to_the_floor() -> None:
    from curator.train.loop import lr_factor

    factors = [lr_factor(step, 100, 10, 0.1) for step in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[9:]))
    assert factors[-1] == pytest.approx(0.1, abs=1e-3)


def test_batched_greedy_generation_matches_one_by_one() -> None:
    from curator.train.evaluate import generate
    from curator.train.loop import Runtime
    from curator.train.models import load_model

    loaded = load_model(TrainConfig(model="proxy-tiny", seed=1), "sdpa")
    with torch.no_grad():  # peaked logits, so float noise from padding cannot flip an argmax
        loaded.model.lm_head.weight.mul_(40)
    runtime = Runtime(loaded, torch.device("cpu"), "fp32", "sdpa")
    encoder = loaded.encoder
    prompts = [
        encoder.prompt_ids([Message(role="user", content=text)])
        for text in ("Hi", "A longer prompt here", "Mid one")
    ]
    batched = generate(runtime, encoder, prompts, max_new_tokens=12, batch_size=3, max_prompt_tokens=256)
    alone = [
        generate(runtime, encoder, [p], max_new_tokens=12, batch_size=1, max_prompt_tokens=256)[0]
        for p in prompts
    ]
    assert batched == alone


def test_discover_reads_run_folders_mixture_folders_and_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "data").mkdir(parents=True)
    (run / "manifest.json").write_text("{}")
    (run / "data" / "part-00000.jsonl").write_text(record("q", "a").to_json().decode() + "\n")
    assert [name for name, _ in discover(run)] == ["curated"]
    for name in ("b", "a"):
        folder = run / "mixtures" / name
        folder.mkdir(parents=True)
        (folder / "README.md").write_text("# card")
        (folder / "data-00000.jsonl").write_text(
            '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
        )
    assert [(name, [f.name for f in files]) for name, files in discover(run)] == [
        ("a", ["data-00000.jsonl"]),
        ("b", ["data-00000.jsonl"]),
    ]
    sets = load_mixtures(run, ["b"])
    assert [s.name for s in sets] == ["b"] and sets[0].records[0].messages[1].content == "a"
    assert discover(SAMPLE_DATA / "alpaca_5000_slice.json")[0][0] == "alpaca_5000_slice"


def test_empty_mixture_and_unknown_mixture_are_clear_errors(tmp_path: Path) -> None:
    folder = tmp_path / "mixtures" / "empty"
    folder.mkdir(parents=True)
    (folder / "data.jsonl").write_text("")
    with pytest.raises(CuratorError, match=r"mixture 'empty' .* is empty: no records to train on"):
        load_mixtures(tmp_path / "mixtures" / "empty")
    with pytest.raises(CuratorError, match="no mixture named 'nope'"):
        load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json", ["nope"])


def test_missing_models_are_one_clear_error(tmp_path: Path) -> None:
    from curator.train.models import check_model

    with pytest.raises(CuratorError, match=r"model folder not found: \./no/such/model"):
        check_model("./no/such/model")
    with pytest.raises(CuratorError, match=r"has no config\.json"):
        check_model(str(tmp_path))
    with pytest.raises(CuratorError, match="not in the local Hugging Face cache; curator never downloads"):
        check_model("nobody-has/this-model-xyz")
    check_model("proxy-tiny")


def test_recipe_validation_section_is_checked_with_line_numbers() -> None:
    text = "sources:\n  - {name: a, path: x.jsonl}\nvalidation:\n  eval: [evals.jsonl]\n  steps: 5\n"
    recipe = parse_recipe(text)
    assert recipe.validation.steps == 5 and recipe.validation.eval[0].path == "evals.jsonl"
    assert recipe.validation.train_config().steps == 5
    with pytest.raises(RecipeError, match=r"<recipe>:5: validation\.stepz: unknown key"):
        parse_recipe(text.replace("steps", "stepz"))
    with pytest.raises(RecipeError, match=r"validation\.eval"):
        parse_recipe("sources:\n  - {name: a, path: x.jsonl}\nvalidation:\n  steps: 5\n")


# -- training memory independent of the data size -------------------------------------------------
def test_token_store_holds_examples_on_disk_and_packs_exactly_like_a_list(tmp_path: Path) -> None:
    from curator.train.loop import RowStream
    from curator.train.store import TokenStore

    records = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json")[0].records
    encoder = ByteChatEncoder()
    examples = [e for e in (encoder.encode(r.messages, 256) for r in records) if e is not None]
    with TokenStore(tmp_path) as store:
        for example in examples:
            store.add(example)
        store.close()
        files = sorted(p.name for p in store.path.iterdir())
        assert files == ["input_ids.bin", "target_bytes.bin", "targets.bin"]
        assert len(store) == len(examples) and store.tokens == sum(len(e) for e in examples)
        assert store.truncated == sum(e.truncated for e in examples) > 0
        assert isinstance(store[3].input_ids, np.memmap)  # read from disk, not held
        for index in (0, 7, len(examples) - 1):
            for name in ("input_ids", "targets", "target_bytes"):
                np.testing.assert_array_equal(getattr(store[index], name), getattr(examples[index], name))
        config = TrainConfig(seq_len=256, batch_size=3, seed=5)
        from_list, from_store = RowStream(examples, config, 0, True), RowStream(store, config, 0, True)
        assert from_list.rows_per_epoch == from_store.rows_per_epoch
        batches = 2 * from_list.rows_per_epoch // 3 + 1  # into the second epoch (reshuffled, repacked)
        for a, b in itertools.islice(zip(from_list, from_store, strict=True), batches):
            for name in ("input_ids", "targets", "target_bytes", "position_ids", "real"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
                assert getattr(a, name).dtype == getattr(b, name).dtype
        # Below one layout window, an epoch packs exactly as packing the shuffled examples at once.
        order = np.random.default_rng([5, 0]).permutation(len(examples))
        whole = pack([examples[i] for i in order], 256, 0)
        assert from_store.rows_per_epoch == len(whole)
        first = next(iter(RowStream(store, config, 0, True)))
        np.testing.assert_array_equal(first.input_ids, whole.input_ids[:3])
        folder = store.path
    assert not folder.exists()  # the scratch folder goes when training ends


def test_epochs_are_laid_out_a_window_at_a_time(monkeypatch) -> None:
    """Bounded layout memory: first fit runs over windows of the shuffled examples; every example
    is in exactly one row per epoch, and a row never mixes two windows."""
    from curator.train import loop

    encoder = ByteChatEncoder()
    records = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json")[0].records
    examples = [e for e in (encoder.encode(r.messages, 256) for r in records) if e is not None]
    monkeypatch.setattr(loop, "LAYOUT_WINDOW", 10)
    stream = loop.RowStream(examples, TrainConfig(seq_len=256, batch_size=1, seed=3), 0, True)
    rows = list(stream._epoch_rows(0))
    assert len(rows) == stream.rows_per_epoch
    assert sorted(i for row in rows for i in row) == list(range(len(examples)))
    order = np.random.default_rng([3, 0]).permutation(len(examples)).tolist()
    window = {example: order.index(example) // 10 for example in range(len(examples))}
    assert all(len({window[i] for i in row}) == 1 for row in rows)


def test_training_set_is_streamed_and_decontaminated_chunk_by_chunk(monkeypatch) -> None:
    from curator.train import runner
    from curator.train.data import RecordSet
    from curator.train.store import TokenStore

    eager = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json")[0]
    streamed = load_mixtures(SAMPLE_DATA / "alpaca_5000_slice.json", stream=True)[0]
    assert streamed.streamed and streamed.records == []  # nothing held
    assert [r.id for r in streamed.iter_records()] == [r.id for r in eager.records]
    assert streamed.summary() == eager.summary()
    # An eval set that repeats three training answers: those records are dropped, whatever the chunk.
    evals = [RecordSet("eval", [eager.records[i] for i in (2, 20, 40)], "test")]
    config = TrainConfig(seq_len=256)
    results = []
    for chunk in (7, 1000):
        monkeypatch.setattr(runner, "DECONTAMINATION_CHUNK", chunk)
        with TokenStore() as store:
            read, report, unlearnable = runner.encode_training_set(
                streamed, evals, config, ByteChatEncoder(), store
            )
            results.append((read, report, unlearnable, len(store), store.tokens))
    assert results[0] == results[1]
    read, report, _, examples, _ = results[0]
    assert read == len(eager.records) and report["train_records_removed"] == 3 == report["eval_records_hit"]
    assert examples == read - 3
    assert sorted(report["removed_ids"]) == sorted(eager.records[i].id for i in (2, 20, 40))
