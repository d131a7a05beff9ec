"""Remote inputs, eval sets, tokenizers and run folders, against a real S3 API served locally.

moto's server mode runs in a thread on 127.0.0.1 (a real HTTP S3 endpoint); s3fs and botocore
talk to it exactly as to AWS, with the endpoint and credentials from the standard environment
(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or from the recipe's storage_options.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

FILES = {
    "inputs/data/alpaca.json": "alpaca_52k_slice.json",
    "inputs/data/dolly.jsonl": "dolly_open_qa_text.jsonl",
    "inputs/data/messy.jsonl": "messy_chat.jsonl",
    "inputs/evals/user_oriented.jsonl": "user_oriented_instructions.jsonl",
}
RECIPE = """\
sources:
  - {name: alpaca, path: "s3://inputs/data/alpaca.json", license: CC-BY-NC-4.0}
  - {name: chat, path: "s3://inputs/data/*.jsonl", license: CC0-1.0, format: auto}
stages:
  - type: length
  - type: exact_dedup
  - type: decontaminate
    evals: [{name: user_oriented, path: "s3://inputs/evals/user_oriented.jsonl"}]
mixtures:
  - {name: mix, size: 100, format: messages}
run: {batch_size: 200}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A local S3 endpoint with the sample files uploaded; yields the environment that reaches it."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto keeps its buckets per process, not per server: start each module from an empty store
    reset = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(reset)  # never through a proxy
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "CURATOR_CACHE": str(tmp_path_factory.mktemp("cache")),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    s3fs.S3FileSystem.clear_instance_cache()  # an earlier module's client knows an older endpoint
    try:
        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.mkdir("inputs")
        fs.mkdir("runs")
        for key, name in FILES.items():
            fs.put_file(str(SAMPLE_DATA / name), key)
        yield env
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def curator(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "curator.cli", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600,
    )


def remote_files(fs, prefix: str) -> dict[str, bytes]:
    return {p[len(prefix) + 1 :]: fs.cat_file(p) for p in sorted(fs.find(prefix))}


def test_s3_round_trip_inputs_evals_and_run_folder(s3, tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
    env = {**os.environ, **s3}
    done = curator("run", "recipe.yaml", "--out", "s3://runs/run1", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    files = remote_files(fs, "runs/run1")
    manifest = json.loads(files["manifest.json"])
    assert manifest["conservation"]["holds"]
    assert manifest["counts"]["input_rows"] > 500
    assert {"report.html", "report.json", "rejected.jsonl"} <= set(files)
    assert any(name.startswith("mixtures/mix/") for name in files)
    assert not any(name.startswith("_work") for name in files)
    # provenance names the URL, not the local cache: record ids are the same on every machine
    data = [json.loads(line) for name, blob in files.items() if name.startswith("data/")
            for line in blob.decode().splitlines()]
    assert {r["provenance"]["file"] for r in data} == {
        "s3://inputs/data/alpaca.json", "s3://inputs/data/dolly.jsonl", "s3://inputs/data/messy.jsonl"}
    decontaminate = next(s for s in manifest["stages"] if s["name"] == "decontaminate")
    assert decontaminate["records_in"] > 0

    # a finished remote run is not overwritten by accident
    again = curator("run", "recipe.yaml", "--out", "s3://runs/run1", cwd=tmp_path, env=env)
    assert again.returncode == 2 and again.stderr.startswith("error: s3://runs/run1 holds a finished run")

    # another prefix, another cache: byte-identical output (manifest aside, it holds timings)
    other = {**env, "CURATOR_CACHE": str(tmp_path / "other-cache")}
    done = curator("run", "recipe.yaml", "--out", "s3://runs/run2", "-q", cwd=tmp_path, env=other)
    assert done.returncode == 0, done.stderr
    second = remote_files(fs, "runs/run2")
    assert {k: v for k, v in second.items() if k != "manifest.json"} == {
        k: v for k, v in files.items() if k != "manifest.json"}


def test_an_unfinished_remote_run_is_completed_by_running_again(s3, tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
    env = {**os.environ, **s3}
    first = curator("run", "recipe.yaml", "--out", "s3://runs/run3", "-q", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    before = remote_files(fs, "runs/run3")
    fs.rm("runs/run3/manifest.json")  # as if the upload had died before its last object
    fs.rm("runs/run3/report.html")
    done = curator("run", "recipe.yaml", "--out", "s3://runs/run3", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert remote_files(fs, "runs/run3") == before  # same bytes, manifest included (nothing re-ran)


RAY_RECIPE = RECIPE.replace(
    "  - type: decontaminate", "  - {type: minhash_dedup, keep: longest_response}\n  - type: decontaminate"
).replace("batch_size: 200", "batch_size: 150")


def test_ray_work_files_go_through_the_bucket_not_a_shared_folder(s3, tmp_path: Path) -> None:
    """--out s3:// on Ray: workers (given their own CURATOR_CACHE, as on other machines) fetch
    inputs and eval sets, exchange shard files and the partitioned reduces' files through the
    bucket; the driver's folder never sees a signature or spill file; the published run is
    byte-identical to the local engine's."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from curator.io.remote import staging_dir
    from curator.publish import run_recipe_to
    from curator.recipe import load_recipe

    (tmp_path / "recipe.yaml").write_text(RAY_RECIPE, encoding="utf-8")
    env = {**os.environ, **s3}
    done = curator("run", "recipe.yaml", "--out", "s3://runs/local5", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    worker_cache = tmp_path / "worker-cache"
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False,
        runtime_env={"env_vars": {"CURATOR_CACHE": str(worker_cache)}},
    )
    work = staging_dir("s3://runs/ray5") / "_work"
    seen: set[str] = set()  # the driver's work folders, looked at whenever a shard report arrives

    downloaded: set[str] = set()  # what the workers had downloaded from the bucket, meanwhile

    def look(_pass: int, _report: object) -> None:
        seen.update(p.relative_to(work).parts[0] for p in work.rglob("*") if p.is_file())
        fetched = (worker_cache / "work").rglob("in/*/*")
        downloaded.update(p.relative_to(worker_cache).parts[4] for p in fetched)

    try:
        result = run_recipe_to(
            load_recipe(tmp_path / "recipe.yaml"), "s3://runs/ray5", engine="ray", workers=2, on_report=look
        )
    finally:
        ray.shutdown()
    assert result.manifest["run"]["reduced_in_workers"] == ["exact_dedup", "minhash_dedup"]
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    local, distributed = remote_files(fs, "runs/local5"), remote_files(fs, "runs/ray5")
    assert {k: v for k, v in distributed.items() if k != "manifest.json"} == {
        k: v for k, v in local.items() if k != "manifest.json"}
    assert json.loads(distributed["manifest.json"])["counts"] == json.loads(local["manifest.json"])["counts"]
    removed = {s["name"]: s["removed"] for s in result.manifest["stages"]}
    assert removed["exact_dedup"] > 0 and removed["length"] > 0
    # The workers' own disks: inputs fetched, signatures and decisions downloaded from the bucket.
    fetched = {p.name for p in (worker_cache / "remote").rglob("*") if p.is_file()}
    assert {"alpaca.json", "dolly.jsonl", "user_oriented.jsonl"} <= fetched
    assert {"signatures", "reduce", "decisions"} <= downloaded
    assert not [p for p in (worker_cache / "work").rglob("*") if p.is_file()]  # each node cleaned up
    # The driver's folder held only its markers while the workers ran; the work prefix is gone.
    assert "done" in seen and not seen & {"signatures", "pass0", "pass1", "reduce", "decisions", "kept"}
    assert not fs.exists("runs/ray5/_work")


def test_storage_options_in_the_recipe_and_no_credentials_in_outputs(s3, tmp_path: Path) -> None:
    options = (
        f"storage_options: {{key: testing, secret: s3cr3t-v4lue, "
        f"client_kwargs: {{endpoint_url: '{s3['AWS_ENDPOINT_URL']}', region_name: us-east-1}}}}\n"
    )
    recipe = RECIPE.replace("mixtures:", options + "mixtures:")
    (tmp_path / "recipe.yaml").write_text(recipe, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(NO_PROXY="127.0.0.1", no_proxy="127.0.0.1", CURATOR_CACHE=str(tmp_path / "cache"))
    done = curator("run", "recipe.yaml", "--out", "s3://runs/run4", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    for name, blob in remote_files(fs, "runs/run4").items():
        assert b"s3cr3t-v4lue" not in blob, name


def test_a_tokenizer_from_s3_counts_like_the_local_file(s3, tmp_path: Path) -> None:
    from test_train import chatml_tokenizer

    from curator.tokens import make_counter

    chatml_tokenizer().save_pretrained(str(tmp_path / "tok"))
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.put(str(tmp_path / "tok"), "inputs/tok", recursive=True)
    record = {"messages": [{"role": "user", "content": "Name a colour."},
                           {"role": "assistant", "content": "Blue."}]}
    local = make_counter(str(tmp_path / "tok"), tmp_path).counts([record])
    remote = make_counter("s3://inputs/tok", tmp_path).counts([record])
    assert remote == local and local[0].assistant > 0


def test_a_missing_remote_input_is_one_error_line(s3, tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(
        "sources:\n  - {name: a, path: 's3://inputs/nothing/*.jsonl', license: CC0-1.0}\n", encoding="utf-8"
    )
    done = curator("run", "recipe.yaml", "--out", "run", cwd=tmp_path, env={**os.environ, **s3})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: source 'a': no file matches 's3://inputs/nothing/*.jsonl'"


def test_an_https_style_url_input_over_a_local_http_server(tmp_path: Path) -> None:
    """http(s):// inputs go through fsspec's HTTP filesystem (served here by http.server)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(SAMPLE_DATA))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/dolly_open_qa_text.jsonl"
        (tmp_path / "recipe.yaml").write_text(
            f"sources:\n  - {{name: d, path: '{url}', format: text, license: CC-BY-SA-3.0}}\n"
            "stages:\n  - type: length\n",
            encoding="utf-8",
        )
        env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
               "CURATOR_CACHE": str(tmp_path / "cache")}
        done = curator("run", "recipe.yaml", "--out", "run", "-q", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["counts"]["input_rows"] == len(
            (SAMPLE_DATA / "dolly_open_qa_text.jsonl").read_text(encoding="utf-8").splitlines())
        first = json.loads((tmp_path / "run" / "data" / "part-00000.jsonl").open().readline())
        assert first["provenance"]["file"] == url
    finally:
        server.shutdown()


def test_workers_fetching_one_object_at_once_share_the_cache(
    s3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ray workers on one node share CURATOR_CACHE and may fetch the same input at the same moment
    (threads stand in for them here): every one gets the complete file; a shared ".partial" name
    made the loser's rename fail (seen as a flaky Ray test)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from curator.io import remote

    expected = (SAMPLE_DATA / "alpaca_52k_slice.json").read_bytes()
    for round_ in range(4):
        monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / f"cache{round_}"))
        barrier = Barrier(6)

        def fetch_once(_: int, barrier: Barrier = barrier) -> bytes:
            barrier.wait()
            [path] = remote.fetch("s3://inputs/data/alpaca.json")
            return path.read_bytes()

        with ThreadPoolExecutor(6) as pool:
            assert all(data == expected for data in pool.map(fetch_once, range(6)))
        cached = list((tmp_path / f"cache{round_}").rglob("*"))
        assert not [p for p in cached if p.name.endswith(".partial")]
