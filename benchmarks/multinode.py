"""A multi-node Ray run simulated on one machine: a head and two worker nodes, storage on S3.

Three ``ray start`` processes form one cluster: a head with no CPUs (it only schedules: every
shard task and reduce task runs on a worker node) and two worker nodes of different sizes
(``--num-cpus 1`` with resource ``node_a``, ``--num-cpus 2`` with ``node_b``), each with its own
``CURATOR_CACHE`` folder, the only local disk it uses. A local S3 server (moto, real HTTP S3
API) holds the inputs, the eval set, the Ray engine's work files and both run folders; nothing
reaches the network. The same recipe (real public data from sample_data/: Alpaca, Dolly, the
Self-Instruct eval set, plus planted exact and near copies and planted eval overlap) runs with
``curator run --out s3://…`` on the local engine and on the cluster (``--engine ray
--ray-address``); every published file but the manifest must be byte-identical.

Every Ray process this script starts is stopped at the end, on failure too: each node's
``ray start --block`` runs in its own session, and the script ends those sessions' processes
by id (``ray stop --force`` would stop every Ray process on the machine, other users' too).

Usage: python benchmarks/multinode.py [--copies 4]   (exit status 0: identical output)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
RAY = str(Path(sys.executable).with_name("ray"))
RECIPE = """\
name: multinode
sources:
  - {name: alpaca, path: "s3://inputs/data/alpaca.json", license: CC-BY-NC-4.0}
  - {name: dolly, path: "s3://inputs/data/dolly.jsonl", format: text, license: CC-BY-SA-3.0}
stages:
  - type: length
  - type: exact_dedup
  - {type: minhash_dedup, keep: longest_response}
  - type: decontaminate
    evals: [{name: planted, path: "s3://inputs/evals/planted.jsonl"}]
mixtures:
  - {name: mix, size: 300, format: messages}
run: {batch_size: 100}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def planted_data(copies: int, folder: Path) -> dict[str, Path]:
    """Alpaca rows with planted exact and near copies; an eval set overlapping some rows."""
    rng = random.Random(7)
    rows = json.loads((SAMPLE / "alpaca_52k_slice.json").read_text(encoding="utf-8"))
    data = list(rows)
    for _ in range(copies - 1):
        for row in rng.sample(rows, len(rows) // 4):
            words = row["output"].split()
            if len(words) > 30 and rng.random() < 0.5:
                words[rng.randrange(len(words))] = "zebra"  # a near copy
            data.append({**row, "output": " ".join(words)})
    rng.shuffle(data)
    evals = [{"instruction": r["instruction"], "input": r["input"], "output": r["output"]}
             for r in rng.sample(rows, 15)]
    files = {
        "inputs/data/alpaca.json": folder / "alpaca.json",
        "inputs/data/dolly.jsonl": SAMPLE / "dolly_open_qa_text.jsonl",
        "inputs/evals/planted.jsonl": folder / "planted.jsonl",
    }
    files["inputs/data/alpaca.json"].write_text(json.dumps(data), encoding="utf-8")
    files["inputs/evals/planted.jsonl"].write_text(
        "".join(json.dumps(e) + "\n" for e in evals), encoding="utf-8"
    )
    return files


class Cluster:
    """A head and worker nodes, each a ``ray start --block`` in its own session."""

    def __init__(self, temp_dir: Path, env: dict[str, str]) -> None:
        self.temp_dir, self.env = temp_dir, env
        self.port = free_port()
        self.nodes: list[subprocess.Popen] = []
        from ray._private.services import get_node_ip_address

        self.ip = get_node_ip_address()  # what Ray advertises; every node binds this machine's

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    def start(self, name: str, cache: Path, *args: str) -> None:
        command = [RAY, "start", "--block", "--disable-usage-stats", *args,
                   f"--dashboard-agent-listen-port={free_port()}", f"--metrics-export-port={free_port()}"]
        log = (self.temp_dir.parent / f"{name}.log").open("w")
        self.nodes.append(subprocess.Popen(
            command, env={**self.env, "CURATOR_CACHE": str(cache)}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped by id at the end
        ))

    def start_all(self, caches: dict[str, Path]) -> None:
        self.start("head", caches["head"], "--head", f"--port={self.port}", "--num-cpus=0",
                   "--include-dashboard=false", f"--temp-dir={self.temp_dir}",
                   f"--node-ip-address={self.ip}")
        self.wait_for(0)
        self.start("node_a", caches["node_a"], f"--address={self.address}", "--num-cpus=1",
                   '--resources={"node_a": 1}', f"--node-ip-address={self.ip}")
        self.wait_for(1)  # one node at a time: on a loaded machine a raylet's start-up is slow
        self.start("node_b", caches["node_b"], f"--address={self.address}", "--num-cpus=2",
                   '--resources={"node_b": 1}', f"--node-ip-address={self.ip}")
        self.wait_for(3)

    def wait_for(self, cpus: int, timeout: float = 180) -> None:
        """Until the cluster reports ``cpus`` CPUs (the nodes have joined)."""
        probe = (f"import ray; ray.init(address='{self.address}', log_to_driver=False); "
                 "print(int(ray.cluster_resources().get('CPU', 0))); ray.shutdown()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.poll() is not None:
                    raise SystemExit(f"a ray node exited; see {self.temp_dir.parent}/*.log")
            try:
                done = subprocess.run([sys.executable, "-c", probe], env=self.env, capture_output=True,
                                      text=True, timeout=60, check=False)
            except subprocess.TimeoutExpired:
                continue
            if done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == [str(cpus)]:
                return
            time.sleep(2)
        raise SystemExit(f"the cluster did not reach {cpus} CPUs in {timeout:.0f} s")

    def stop(self) -> tuple[int, int, int]:
        """Stop every process of every node's session, by id: (processes, killed, still alive)."""
        import psutil

        processes = []
        for node in self.nodes:
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = psutil.Process(node.pid)
                processes += [parent, *parent.children(recursive=True)]
        for node in self.nodes:
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)  # ray start --block stops its node's processes
        _gone, alive = psutil.wait_procs(processes, timeout=30)
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=10)
        for node in self.nodes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(node.pid, signal.SIGKILL)  # anything else left in the node's session
        left = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        return len(processes), len(alive), len(left)


class _Traffic(logging.Handler):
    """Counts the S3 server's requests on the Ray run's work prefix, by method and folder."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: Counter[tuple[str, str]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        match = re.search(r'"(GET|PUT) /runs/ray/_work/([^/ ?]+)/', record.getMessage())
        if match:
            self.requests[(match.group(1), match.group(2))] += 1


def curator(*args: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run the CLI; (wall s, CPU s of it and its children)."""
    started = time.perf_counter()
    before = os.times()
    done = subprocess.run([sys.executable, "-m", "curator.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=900, check=False)
    after = os.times()
    if done.returncode:
        raise SystemExit(f"curator {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, after.children_user - before.children_user + (
        after.children_system - before.children_system)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=4, help="Alpaca slice cycles (planted copies)")
    args = parser.parse_args()
    import s3fs
    from moto.server import ThreadedMotoServer

    traffic = _Traffic()  # the S3 server's request log, counted instead of printed
    log = logging.getLogger("werkzeug")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(traffic)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="s18mn-", dir="/tmp"))  # short: Ray's socket paths
    caches = {name: work / f"cache-{name}" for name in ("head", "node_a", "node_b", "driver")}
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_DEFAULT_REGION": "us-east-1",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "RAY_USAGE_STATS_ENABLED": "0",
        # One machine, one user: the nodes and the driver skip Ray's cluster token (which a real
        # cluster distributes to its nodes) rather than share a token file.
        "RAY_AUTH_MODE": "disabled",
        "RAY_raylet_start_wait_time_s": "180",
    }
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL",
                                           "AWS_DEFAULT_REGION", "NO_PROXY", "no_proxy")})
    cluster = Cluster(work / "ray", env)
    ok = False
    try:
        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.mkdir("inputs")
        fs.mkdir("runs")
        for key, path in planted_data(args.copies, work).items():
            fs.put_file(str(path), key)
        (work / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
        driver_env = {**env, "CURATOR_CACHE": str(caches["driver"])}
        local_wall, local_cpu = curator("run", "recipe.yaml", "--out", "s3://runs/local", "-q",
                                        env=driver_env, cwd=work)
        started = time.perf_counter()
        cluster.start_all(caches)
        print(f"cluster up in {time.perf_counter() - started:.0f} s: head (0 CPUs), node_a (1 CPU), "
              f"node_b (2 CPUs) at {cluster.address}")
        ray_wall, ray_cpu = curator("run", "recipe.yaml", "--out", "s3://runs/ray", "--engine", "ray",
                                    "--ray-address", cluster.address, "--workers", "3", "-q",
                                    env=driver_env, cwd=work)
        files = {name: {p[len(f"runs/{name}") + 1:]: fs.cat_file(p) for p in sorted(fs.find(f"runs/{name}"))}
                 for name in ("local", "ray")}
        manifests = {name: json.loads(f["manifest.json"]) for name, f in files.items()}
        same = {k: v for k, v in files["ray"].items() if k != "manifest.json"} == {
            k: v for k, v in files["local"].items() if k != "manifest.json"}
        removed = {s["name"]: s["removed"] for s in manifests["ray"]["stages"]}
        print("| run | engine | wall s | driver-side CPU s | input rows | kept | removed by stage |")
        print("|---|---|---:|---:|---:|---:|---|")
        for name, wall, cpu in (("local", local_wall, local_cpu), ("ray", ray_wall, ray_cpu)):
            m = manifests[name]
            stages = ", ".join(f"{s['name']} {s['removed']}" for s in m["stages"])
            print(f"| s3://runs/{name} | {m['run']['engine']} | {wall:.1f} | {cpu:.1f} "
                  f"| {m['counts']['input_rows']:,} | {m['counts']['kept']:,} | {stages} |")
        print(f"reduced in workers: {manifests['ray']['run'].get('reduced_in_workers')}")
        print("| node | inputs fetched | work files left on its disk after the run |")
        print("|---|---:|---:|")
        leftovers = 0  # which node ran which task is Ray's choice: only leftovers are checked
        for name in ("head", "node_a", "node_b", "driver"):
            fetched = sum(1 for p in (caches[name] / "remote").rglob("*") if p.is_file())
            left_files = sum(1 for p in (caches[name] / "work").rglob("*") if p.is_file())
            leftovers += left_files
            print(f"| {name} | {fetched} | {left_files} |")
        print("| S3 requests on the work prefix (_work/) | PUT | GET |")
        print("|---|---:|---:|")
        for folder in sorted({folder for _, folder in traffic.requests}):
            put, get = traffic.requests[("PUT", folder)], traffic.requests[("GET", folder)]
            print(f"| {folder}/ | {put} | {get} |")
        print(f"work prefix left on the bucket: {fs.exists('runs/ray/_work')}")
        print(f"published files: {len(files['ray'])}; byte-identical to the local engine "
              f"(manifest aside): {same}")
        exchanged = traffic.requests[("GET", "signatures")] > 0 and traffic.requests[("PUT", "decisions")] > 0
        removed_all = all(removed[name] > 0 for name in ("exact_dedup", "minhash_dedup", "decontaminate"))
        ok = exchanged and same and removed_all and not leftovers and not fs.exists("runs/ray/_work")
    finally:
        started_processes, killed, left = cluster.stop()
        server.stop()
        print(f"ray processes of the 3 nodes: {started_processes}, {killed} of them needed SIGKILL "
              f"after 30 s; still running: {left}")
        ok = ok and left == 0
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept for inspection (node logs): {work}")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
