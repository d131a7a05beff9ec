"""The SFT runner: prove a mixture's worth by training a small model on it and evaluating it.

Pieces, one module each:

``data``       records from a run folder, a mixture folder or any data file; the uncurated baseline
``decontam``   drop training records that overlap the eval sets (13-gram check)
``tokenizer``  the byte-level tokenizer of the proxy presets
``chat``       chat template + tokenisation + assistant-only labels + per-token byte counts
``packing``    whole examples packed into fixed-length rows, positions reset per example
``models``     proxy presets, local/cached Hugging Face models, devices, peak FLOP/s
``loop``       the training loop (AdamW, warmup + cosine, clipping, accumulation, bf16, compile)
``evaluate``   held-out loss, bits per byte, token accuracy, greedy generation, ROUGE-L, exact match
``metrics``    ROUGE-L and exact match (pure Python)
``runner``     ``train_records`` (one model) and ``validate_run`` (every mixture + baseline)
``scorecard``  scorecard.json / scorecard.md / scorecard.png
``commands``   what ``curator train``, ``curator validate-mixtures`` and ``validation:`` run

Its settings (TrainConfig / EvalSetConfig / ValidationConfig, the recipe's ``validation:``) are
recipe models in :mod:`curator.validation`. Only ``data``, ``decontam``, ``metrics`` and
``tokenizer`` import without torch.
"""
