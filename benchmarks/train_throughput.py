"""Training throughput of the SFT runner (``curator train``'s loop), on the sample data.

* CPU: proxy-tiny, sequence length 512, 8 rows per step, fp32, packed and unpacked (one example
  per row): tokens/s, where a token is a real (non-padding) token and the first step (allocation)
  is not timed. Packed is measured twice: with the default 2 rows per forward pass, and with the
  step's 8 rows in one pass (the baseline of that memory-saving split).
* GPU, when torch sees one: proxy-125m, sequence length 1024, bf16 autocast, packed, torch.compile
  (``--no-compile`` to skip): tokens/s and MFU = 6 · N · tokens/s ÷ the device's peak dense bf16
  FLOP/s (N: parameters in matmuls). The goal is ≥ 40 % MFU on an H100. Without a GPU this prints
  "not measured: no GPU" instead; it is a benchmark, never a test.

Usage: python benchmarks/train_throughput.py [--cpu-steps 20] [--repeat 3] [--threads N] [--gpu-steps 60]
       [--gpu-batch-size 32] [--no-compile] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
FILES = [
    "alpaca_52k_slice.json",
    "alpaca_5000_slice.json",
    "dolly_open_qa_text.jsonl",
    "self_instruct_seed_tasks.jsonl",
]


# CPU setups: (label, pack, rows per forward pass; None: the default, 2 on a CPU). The one-pass
# setup is the baseline of the default's memory-saving split of each batch of 8 rows.
SETUPS = [
    ("CPU proxy-tiny packed", True, None),
    ("CPU proxy-tiny packed, one pass of 8 rows", True, 8),
    ("CPU proxy-tiny unpacked", False, None),
]


def measure(records, config, label: str) -> dict:
    from curator.train.runner import train_records

    with tempfile.TemporaryDirectory() as tmp:
        metrics = train_records(records, [], config, Path(tmp))
    train, runtime = metrics["train"], metrics["runtime"]
    row = {
        "setup": label,
        "device": runtime["device_name"] or runtime["device"],
        "model": metrics["model"]["name"],
        "parameters": metrics["model"]["parameters"],
        "seq_len": config.seq_len,
        "batch_size": config.batch_size,
        "precision": runtime["precision"],
        "attention": runtime["attention"],
        "packing": runtime["packing"],
        "compile": runtime["compile"],
        "threads": runtime["threads"],
        "steps": config.steps,
        "padding_fraction": train["padding_fraction"],
        "tokens_per_second": train["tokens_per_second"],
        "mfu": train["mfu"],
    }
    mfu = f", MFU {row['mfu']:.1%}" if row["mfu"] is not None else ""
    print(
        f"{label}: {row['tokens_per_second']:,.0f} tokens/s{mfu}  ({row['model']}, seq {config.seq_len}, "
        f"batch {config.batch_size}, {row['precision']}, {row['attention']}, packing {row['packing']}, "
        f"padding {row['padding_fraction']:.1%}, {row['device']}, {row['threads']} threads)",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="CPU runs per setup, alternating; best kept.")
    parser.add_argument("--gpu-steps", type=int, default=60)
    parser.add_argument("--gpu-batch-size", type=int, default=32)
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice).")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()

    import torch

    from curator.train.data import RecordSet, read_records
    from curator.validation import TrainConfig

    parts = [read_records(name, [SAMPLE / name]) for name in FILES]
    records = RecordSet("sample", [r for p in parts for r in p.records], "sample_data")
    print(f"{len(records.records):,} sample records; torch {torch.__version__}", flush=True)
    common = {"eval_at_start": False, "max_generate": 0, "decontaminate": False, "log_every": 10**6}
    results = []
    best: dict[str, dict] = {}
    for _ in range(args.repeat):  # alternate the setups so a busy spell hurts both alike
        for label, pack, forward_rows in SETUPS:
            config = TrainConfig(
                model="proxy-tiny",
                steps=args.cpu_steps,
                seq_len=512,
                batch_size=8,
                device="cpu",
                pack=pack,
                forward_rows=forward_rows,
                threads=args.threads,
                **common,
            )
            row = measure(records, config, label)
            if row["tokens_per_second"] > best.get(row["setup"], {}).get("tokens_per_second", -1):
                best[row["setup"]] = row
    for row in best.values():
        print(f"best of {args.repeat}: {row['setup']}: {row['tokens_per_second']:,.0f} tokens/s")
    results.extend(best.values())
    if torch.cuda.is_available():
        config = TrainConfig(
            model="proxy-125m",
            steps=args.gpu_steps,
            seq_len=1024,
            batch_size=args.gpu_batch_size,
            device="cuda",
            precision="bf16",
            compile=not args.no_compile,
            **common,
        )
        results.append(measure(records, config, "GPU proxy-125m packed bf16"))
    else:
        print(
            "GPU proxy-125m (seq 1024, bf16, packed): not measured: no GPU visible to torch on this machine"
        )
        results.append({"setup": "GPU proxy-125m packed bf16", "measured": False, "why": "no GPU"})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
