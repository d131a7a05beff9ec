"""curator from Python: build a recipe, run it, read files, filter a DataFrame and a Dataset.

Run from the repository root:  python examples/python_api.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd
from datasets import Dataset

import curator

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def main(out: Path) -> None:
    # 1. A recipe built in Python (same keys as YAML), run into a folder: a typed result.
    recipe = curator.recipe_from_dict(
        {
            "name": "api_demo",
            "sources": [
                {"name": "alpaca", "path": "alpaca_52k_slice.json", "license": "CC-BY-NC-4.0"},
                {"name": "chat", "path": "messy_chat.jsonl", "license": "CC0-1.0"},
            ],
            "stages": [{"type": "length"}, {"type": "exact_dedup"}],
        },
        base_dir=SAMPLE,
    )
    result = curator.run_recipe(recipe, out / "run", overwrite=True)
    counts = result.manifest["counts"]
    print(f"run: {counts['input_rows']} rows = {counts['kept']} kept + {counts['removed']} removed "
          f"+ {counts['rejected']} rejected → {result.out_dir}")

    # 2. Any supported file or glob into records; bad rows collected, not raised.
    errors: list[str] = []
    records = curator.read_records(SAMPLE / "messy_chat.jsonl", errors=errors)
    print(f"read: {len(records)} records, {len(errors)} bad rows, e.g. {errors[0]}")

    # 3. Stages over a pandas DataFrame in any format (here Alpaca columns).
    frame = pd.DataFrame(
        [
            {"instruction": "Name a primary colour.", "input": "", "output": "Red."},
            {"instruction": "Name a primary colour.", "input": "", "output": "Red."},
            {"instruction": "Summarise this.", "input": "", "output": ""},
        ]
    )
    applied = curator.apply(frame, [{"type": "length"}, {"type": "exact_dedup"}])
    print(f"dataframe: {len(applied.kept)} kept;", [(r.stage, r.reason) for r in applied.removed])

    # 4. A datasets.Dataset in, a Dataset of the kept records out.
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"}]
    dataset = Dataset.from_list([{"messages": chat}] * 2)
    applied = curator.apply(dataset, {"type": "exact_dedup"})
    kept = Dataset.from_list([{"messages": [m.model_dump(include={"role", "content"}) for m in r.messages]}
                              for r in applied.kept])
    print(f"dataset: {len(dataset)} rows → {len(kept)} kept; removed: {applied.removed[0].reason}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="curator-api-")))
