"""Mixtures at scale: licence policy + three mixtures over the full real instruction sets.

Sources (../shared/data/instructions): Alpaca 52k English and its Chinese translation (CC-BY-NC-4.0,
text-davinci-003), Dolly open_qa (CC-BY-SA-3.0), Self-Instruct seeds (Apache-2.0), BELLE eval
(ODC-By-1.0): 109,921 rows. Stages: length, licence (research). Mixtures: 100k records by source
with upsampling (Parquet, messages), 3M whitespace tokens by licence (JSONL, alpaca), temperature
T=3 over sources (sharegpt).

Measured: the run's wall time and the part spent on provenance (source fates, licences, the two
passes over the kept records and every mixture's files and cards), peak RSS of this process, and a
naive baseline for the first mixture — pandas reads data/ into memory, samples per source with
replacement and writes JSONL — in a subprocess, with its own peak RSS.

Usage: python benchmarks/mixtures.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from curator.pipeline import run_recipe
from curator.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions"
RECIPE = f"""
name: mixtures-bench
seed: 1
sources:
  - {{name: alpaca_en, path: {DATA}/alpaca_52k_en.json.gz, license: CC-BY-NC-4.0,
     generated_by: text-davinci-003}}
  - {{name: alpaca_zh, path: {DATA}/alpaca_52k_zh.json.gz, license: CC-BY-NC-4.0,
     generated_by: text-davinci-003}}
  - {{name: dolly, path: {DATA}/dolly_open_qa_text.jsonl, format: text, license: CC-BY-SA-3.0}}
  - {{name: self_instruct, path: {DATA}/self_instruct_seed_tasks.jsonl, license: Apache-2.0}}
  - {{name: belle, path: {DATA}/belle_eval_zh.jsonl, columns: {{question: instruction, std_answer: output}},
     license: ODC-By-1.0}}
stages:
  - {{type: length}}
  - {{type: licence, intended_use: research}}
mixtures:
  - {{name: by_source, size: 100000, format: messages, file_format: parquet,
     weights: {{alpaca_en: 0.4, alpaca_zh: 0.2, dolly: 0.2, self_instruct: 0.1, belle: 0.1}},
     max_epochs: 100}}
  - {{name: by_licence_tokens, by: license, unit: tokens, size: 3000000, format: alpaca, file_format: jsonl,
     weights: {{CC-BY-NC-4.0: 0.6, CC-BY-SA-3.0: 0.3, Apache-2.0: 0.05, ODC-By-1.0: 0.05}}, max_epochs: 100}}
  - {{name: temperature, temperature: 3.0, format: sharegpt}}
output: {{format: jsonl, max_records_per_file: 100000}}
"""

NAIVE = """
import glob, json, resource, sys, time
import pandas as pd
started = time.perf_counter()
frame = pd.concat(pd.read_json(p, lines=True) for p in sorted(glob.glob(sys.argv[1] + '/data/*.jsonl')))
frame['source'] = frame['provenance'].map(lambda p: p['source'])
weights = {'alpaca_en': 0.4, 'alpaca_zh': 0.2, 'dolly': 0.2, 'self_instruct': 0.1, 'belle': 0.1}
parts = [frame[frame.source == s].sample(n=int(100000 * w), replace=True, random_state=1)
         for s, w in weights.items()]
mix = pd.concat(parts).sample(frac=1, random_state=1)
mix[['id', 'messages', 'source']].to_json(sys.argv[1] + '/naive.jsonl', orient='records', lines=True)
print(json.dumps({'seconds': time.perf_counter() - started,
                  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    if not DATA.exists():
        sys.exit(f"{DATA} not present (../shared/data is only in the project's workspace)")
    with tempfile.TemporaryDirectory() as tmp:
        recipe = Path(tmp) / "recipe.yaml"
        recipe.write_text(RECIPE)
        started = time.perf_counter()
        manifest = run_recipe(load_recipe(recipe), Path(tmp) / "run").manifest
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"input rows {manifest['counts']['input_rows']:,}, kept {manifest['counts']['kept']:,}")
        provenance = manifest["timings"]["provenance_seconds"]
        print(f"run wall {wall:.2f} s, of which provenance + mixtures {provenance:.2f} s")
        print(f"peak RSS of the run (this process) {peak:.0f} MB")
        rows = 0
        for name, mixture in manifest["mixtures"].items():
            rows += mixture["records"]
            groups = {g: (v["requested_weight"], v["effective_weight"]) for g, v in mixture["groups"].items()}
            print(
                f"  {name}: {mixture['records']:,} rows, {mixture['tokens']:,} tokens, licence "
                f"{mixture['licence']['license'] or mixture['licence']['expression']}, "
                f"max |effective-requested| {mixture['max_weight_error']:.5f}, groups {json.dumps(groups)}"
            )
        seconds = manifest["timings"]["provenance_seconds"]
        print(f"mixture rows written: {rows:,} ({rows / seconds:,.0f} rows/s including the scans and cards)")
        naive = subprocess.run(
            [sys.executable, "-c", NAIVE, str(Path(tmp) / "run")], capture_output=True, text=True, check=True
        )
        result = json.loads(naive.stdout)
        print(
            f"naive pandas baseline for by_source alone: {result['seconds']:.2f} s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
