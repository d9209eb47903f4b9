"""Large uploads with the client's proxy multipart switched on.

The client reads MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD,
MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE and MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE
from os.environ on every log_artifact call (mlflow/environment_variables.py
_EnvironmentVariable.get), so monkeypatch.setenv is enough. With the switch set
explicitly the client does not probe /api/3.0/mlflow/server-info first.

Sequence for a file >= the minimum size:
  POST /api/2.0/mlflow-artifacts/mpu/create/<dir>  {path: <local file>, num_parts}
  PUT  <credentials[i].url> (one per part, plain requests, credential headers)
  POST /api/2.0/mlflow-artifacts/mpu/complete/<dir> {path, upload_id, parts}
(abort on any failure). <dir> is the artifact *directory*; the file name is the
basename of the body's `path`. A 501 NOT_IMPLEMENTED whose message starts with
"Multipart upload is not supported for the current artifact repository" makes
the client fall back to one PUT, which is what MLflow with a local
--artifacts-destination answers; so this round trip passes either way. That
Logbook really goes multipart is checked in test_artifacts_beyond_mlflow.py.
"""

import hashlib
import os
from pathlib import Path

import mlflow
import pytest

MIB = 1024 * 1024


@pytest.fixture
def multipart_env(monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(6 * MIB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MIB))  # S3's minimum part size


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            h.update(chunk)
    return h.hexdigest()


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(12 * MIB + 12345))  # 3 parts: 5 + 5 + 2 MiB
    return str(path)


@pytest.mark.parametrize("artifact_path", ["mp", None])
def test_multipart_upload_roundtrip(client, experiment_id, multipart_env, big_file, artifact_path):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(big_file, artifact_path=artifact_path)
    rid = run.info.run_id
    rel = f"{artifact_path}/big.bin" if artifact_path else "big.bin"

    listed = {f.path: f for f in client.list_artifacts(rid, artifact_path)}
    assert listed[rel].file_size == os.path.getsize(big_file)
    local = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path=rel)
    assert sha256_file(local) == sha256_file(big_file)


def test_below_threshold_is_a_single_put(client, experiment_id, multipart_env, tmp_path):
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(1 * MIB))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(small), artifact_path="mp")
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="mp/small.bin"
    )
    assert sha256_file(local) == sha256_file(str(small))


def test_multipart_model_directory(client, experiment_id, multipart_env, big_file, tmp_path):
    """log_artifacts of a folder mixing large and small files."""
    folder = tmp_path / "folder"
    (folder / "nested").mkdir(parents=True)
    os.replace(big_file, folder / "nested" / "big.bin")
    (folder / "small.txt").write_text("small")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(str(folder), artifact_path="folder")
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="folder")
    assert sha256_file(os.path.join(local, "nested", "big.bin")) == sha256_file(
        str(folder / "nested" / "big.bin")
    )
    assert Path(local, "small.txt").read_text() == "small"


def test_server_info_decides_multipart_without_the_switch(
    client, url, experiment_id, monkeypatch, big_file
):
    """Without MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD the client asks /server-info, and
    goes multipart exactly when the server says its store takes presigned parts."""
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
    from mlflow.utils.rest_utils import MlflowHostCreds
    from mlflow.utils.server_info import _clear_server_info_cache, fetch_server_info

    monkeypatch.delenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", raising=False)
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(6 * MIB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MIB))
    _clear_server_info_cache()
    info = fetch_server_info(MlflowHostCreds(url))
    assert info.status_code == 200, info.text
    assert isinstance(info.data["multipart_uploads_enabled"], bool)
    assert info.data["multipart_downloads_enabled"] is False

    parts = []
    original = HttpArtifactRepository._upload_part

    def upload_part(credential, local_file, size, start_byte):
        parts.append(credential.part_number)
        return original(credential=credential, local_file=local_file, size=size, start_byte=start_byte)

    monkeypatch.setattr(HttpArtifactRepository, "_upload_part", staticmethod(upload_part))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(big_file)
    assert sorted(parts) == ([1, 2, 3] if info.data["multipart_uploads_enabled"] else [])
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="big.bin")
    assert sha256_file(local) == sha256_file(big_file)
