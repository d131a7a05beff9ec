"""Runs whose folder is on an object store (``--out s3://bucket/runs/x``, gs://, az://, …).

The run is built in a local staging folder (``curator.io.remote.staging_dir``) by the ordinary
pipeline, so resume, conservation and byte-identical output hold exactly as for a local folder;
then the finished folder is published with ``manifest.json`` last. A remote prefix with a
``manifest.json`` is a finished run; without one, an unfinished one (as locally).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from curator import pipeline
from curator.engines.remote_work import remove_work
from curator.errors import CuratorError
from curator.io.remote import is_url, publish, remote_exists, staging_dir
from curator.pipeline import RunResult
from curator.recipe import LoadedRecipe
from curator.run import RunFolder


def run_recipe_to(loaded: LoadedRecipe, out: str | Path, overwrite: bool = False, **kwargs: Any) -> RunResult:
    """``run_recipe`` into a local folder or a URL; ``RunResult.out_dir`` is where the files are locally."""
    if not is_url(out):
        return pipeline.run_recipe(loaded, Path(out), overwrite=overwrite, **kwargs)
    url = str(out).rstrip("/")
    options = loaded.recipe.storage_options
    if not overwrite and remote_exists(url, RunFolder.MANIFEST, options):
        raise CuratorError(
            f"{url} holds a finished run ({RunFolder.MANIFEST}); choose another --out or --overwrite"
        )
    local = staging_dir(url)
    folder = RunFolder(local)
    if folder.manifest_path.is_file():  # finished here before; publish it again unless it is another recipe's
        manifest = folder.read_manifest().to_json()
        if overwrite or manifest.get("recipe", {}).get("sha256") != loaded.sha256:
            shutil.rmtree(local)
    work_url = f"{url}/{RunFolder.WORK}"
    if folder.manifest_path.is_file():
        result = RunResult(local, folder.read_manifest())
    else:
        if kwargs.get("engine") == "ray":  # Ray's workers share the bucket, not a filesystem
            kwargs["work_url"] = work_url
        result = pipeline.run_recipe(loaded, local, overwrite=overwrite and local.exists(), **kwargs)
    # Only a finished run drops the work files on the bucket: until its manifest, a rerun resumes from them.
    remove_work(work_url, options)
    publish(local, url, RunFolder.MANIFEST, options)
    return result
