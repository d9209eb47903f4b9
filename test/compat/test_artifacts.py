"""Run artifacts through the official client: log_artifact(s), list_artifacts,
download_artifacts, load_text/load_dict, log_text/log_dict.

Runs carry artifact_uri mlflow-artifacts:/<exp>/<run>/artifacts, so every byte
here goes through the server's artifact proxy (/api/2.0/mlflow-artifacts/...).
Downloaded bytes are compared with what was logged by sha256.
"""

import hashlib
import os

import mlflow
import pytest
from mlflow.entities import FileInfo

UNICODE_NAME = "ünï cødé €.txt"  # spaces and non-ASCII in a file name
BINARY = bytes(range(256)) * 64 + os.urandom(100_000)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def snapshot(root):
    """{relative posix path: sha256} for every file below root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            out[rel] = sha256_file(full)
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture
def tree(tmp_path):
    """A folder tree: nested dirs, several files, an empty file, a binary file
    and a file whose name has spaces and unicode."""
    root = tmp_path / "tree"
    write(str(root / "top.txt"), "top level\n")
    write(str(root / "data.csv"), "a,b\n1,2\n3,4\n")
    write(str(root / "sub" / "params.json"), '{"lr": 0.1, "layers": [1, 2]}')
    write(str(root / "sub" / "empty.txt"), b"")
    write(str(root / "sub" / "deep" / "weights.bin"), BINARY)
    write(str(root / "sub" / "deep" / UNICODE_NAME), "unicode ✓\n")
    return str(root)


@pytest.fixture
def run_id(experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    return run.info.run_id


def by_path(infos):
    return {f.path: f for f in infos}


def test_run_artifact_uri_goes_through_the_proxy(client, experiment_id, run_id):
    exp = client.get_experiment(experiment_id)
    run = client.get_run(run_id)
    assert exp.artifact_location.startswith("mlflow-artifacts:/")
    assert run.info.artifact_uri == f"{exp.artifact_location}/{run_id}/artifacts"


def test_log_artifact_file_and_artifact_path(client, experiment_id, tmp_path):
    src = write(str(tmp_path / "hello.txt"), "hello artifacts\n")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(src)
        mlflow.log_artifact(src, artifact_path="d")
        mlflow.log_artifact(src, artifact_path="d/e")
    rid = run.info.run_id

    root = by_path(client.list_artifacts(rid))
    assert sorted(root) == ["d", "hello.txt"]
    assert root["hello.txt"].is_dir is False
    assert root["hello.txt"].file_size == len("hello artifacts\n")
    assert root["d"].is_dir is True
    assert root["d"].file_size is None

    d = by_path(client.list_artifacts(rid, "d"))
    assert sorted(d) == ["d/e", "d/hello.txt"]  # run-relative paths, not basenames
    assert d["d/e"].is_dir and not d["d/hello.txt"].is_dir
    assert [f.path for f in client.list_artifacts(rid, "d/e")] == ["d/e/hello.txt"]

    for rel in ("hello.txt", "d/hello.txt", "d/e/hello.txt"):
        local = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path=rel)
        assert os.path.basename(local) == "hello.txt"
        assert sha256_file(local) == sha256_file(src)


def test_log_artifacts_folder_tree_roundtrip(client, experiment_id, tree, tmp_path):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(tree, artifact_path="tree")
    rid = run.info.run_id
    expected = snapshot(tree)

    # Whole directory.
    local = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="tree")
    assert os.path.basename(local.rstrip(os.sep)) == "tree"
    assert snapshot(local) == expected
    assert os.path.getsize(os.path.join(local, "sub", "empty.txt")) == 0

    # A sub-directory, into a destination of our own.
    dst = tmp_path / "dst"
    dst.mkdir()
    local = mlflow.artifacts.download_artifacts(
        run_id=rid, artifact_path="tree/sub/deep", dst_path=str(dst)
    )
    # The client downloads a runs:/ sub-path as its last component.
    assert os.path.dirname(local.rstrip(os.sep)) == str(dst)
    assert os.path.basename(local.rstrip(os.sep)) == "deep"
    assert snapshot(local) == {
        k[len("sub/deep/") :]: v for k, v in expected.items() if k.startswith("sub/deep/")
    }

    # Single files, including the binary one and the unicode one.
    for rel in ("sub/deep/weights.bin", f"sub/deep/{UNICODE_NAME}", "sub/empty.txt", "top.txt"):
        got = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path=f"tree/{rel}")
        assert os.path.basename(got) == os.path.basename(rel)
        assert sha256_file(got) == expected[rel], rel

    # The whole run (artifact_path omitted) via the client.
    dst2 = tmp_path / "all"
    dst2.mkdir()
    local = client.download_artifacts(rid, "", dst_path=str(dst2))
    assert snapshot(local) == {f"tree/{k}": v for k, v in expected.items()}


def test_log_artifacts_at_run_root(client, experiment_id, tree):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(tree)
    rid = run.info.run_id
    root = by_path(client.list_artifacts(rid))
    assert sorted(root) == ["data.csv", "sub", "top.txt"]
    local = mlflow.artifacts.download_artifacts(run_id=rid)
    assert snapshot(local) == snapshot(tree)


def test_list_artifacts_shapes(client, experiment_id, tree):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(tree, artifact_path="tree")
    rid = run.info.run_id

    sub = client.list_artifacts(rid, "tree/sub")
    assert all(isinstance(f, FileInfo) for f in sub)
    assert [f.path for f in sub] == ["tree/sub/deep", "tree/sub/empty.txt", "tree/sub/params.json"]
    info = by_path(sub)
    assert info["tree/sub/deep"].is_dir is True and info["tree/sub/deep"].file_size is None
    assert info["tree/sub/empty.txt"].is_dir is False
    # MLflow omits file_size for an empty file (proto default), so the client sees None.
    assert info["tree/sub/empty.txt"].file_size in (0, None)
    assert info["tree/sub/params.json"].file_size == len('{"lr": 0.1, "layers": [1, 2]}')

    deep = by_path(client.list_artifacts(rid, "tree/sub/deep"))
    assert sorted(deep) == sorted(["tree/sub/deep/weights.bin", f"tree/sub/deep/{UNICODE_NAME}"])
    assert deep["tree/sub/deep/weights.bin"].file_size == len(BINARY)
    assert deep[f"tree/sub/deep/{UNICODE_NAME}"].file_size == len("unicode ✓\n".encode())

    # A trailing slash names the same directory.
    assert [f.path for f in client.list_artifacts(rid, "tree/sub/deep/")] == sorted(deep)

    # A file path, or a path that does not exist, lists as empty.
    assert client.list_artifacts(rid, "tree/top.txt") == []
    assert client.list_artifacts(rid, "tree/no-such-dir") == []

    # The module-level helper agrees, by run_id and by URI.
    assert [f.path for f in mlflow.artifacts.list_artifacts(run_id=rid, artifact_path="tree")] == [
        "tree/data.csv",
        "tree/sub",
        "tree/top.txt",
    ]
    # By URI the client lists relative to the URI's parent ("tree").
    listed = mlflow.artifacts.list_artifacts(artifact_uri=f"runs:/{rid}/tree/sub")
    assert [f.path for f in listed] == ["sub/deep", "sub/empty.txt", "sub/params.json"]


def test_empty_run_has_no_artifacts(client, run_id, tmp_path):
    assert client.list_artifacts(run_id) == []
    dst = tmp_path / "empty"
    dst.mkdir()
    local = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(dst))
    assert os.listdir(local) == []


def test_download_missing_artifact_fails(run_id):
    with pytest.raises(Exception) as excinfo:
        mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="nope/missing.txt")
    assert "missing.txt" in str(excinfo.value) or "No such" in str(excinfo.value)


def test_download_artifacts_by_uri(client, experiment_id, tree):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(tree, artifact_path="t")
    rid = run.info.run_id
    expected = snapshot(tree)
    artifact_uri = client.get_run(rid).info.artifact_uri  # mlflow-artifacts:/...

    for uri in (f"runs:/{rid}/t/sub", f"{artifact_uri}/t/sub"):
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri)
        assert snapshot(local) == {
            k[len("sub/") :]: v for k, v in expected.items() if k.startswith("sub/")
        }
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{artifact_uri}/t/sub/deep/weights.bin"
    )
    assert sha256_file(local) == expected["sub/deep/weights.bin"]


def test_log_text_dict_and_load(client, experiment_id):
    cfg = {"lr": 0.01, "layers": [64, 32], "name": "ünï", "nested": {"a": True, "b": None}}
    text = "line one\nline twö\n"
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_text(text, "notes/readme.md")
        mlflow.log_dict(cfg, "cfg/params.json")
        mlflow.log_dict(cfg, "cfg/params.yaml")
    rid = run.info.run_id

    assert mlflow.artifacts.load_text(f"runs:/{rid}/notes/readme.md") == text
    assert mlflow.artifacts.load_dict(f"runs:/{rid}/cfg/params.json") == cfg
    paths = [f.path for f in client.list_artifacts(rid, "cfg")]
    assert paths == ["cfg/params.json", "cfg/params.yaml"]
    artifact_uri = client.get_run(rid).info.artifact_uri
    assert mlflow.artifacts.load_text(f"{artifact_uri}/notes/readme.md") == text
    assert mlflow.artifacts.load_dict(f"{artifact_uri}/cfg/params.json") == cfg


def test_overwrite_artifact(client, experiment_id, tmp_path):
    src = tmp_path / "v.txt"
    with mlflow.start_run(experiment_id=experiment_id) as run:
        src.write_text("first version, longer than the second\n")
        mlflow.log_artifact(str(src))
        src.write_text("second\n")
        mlflow.log_artifact(str(src))
    rid = run.info.run_id
    assert mlflow.artifacts.load_text(f"runs:/{rid}/v.txt") == "second\n"
    assert by_path(client.list_artifacts(rid))["v.txt"].file_size == len("second\n")


def test_artifacts_of_two_runs_are_separate(client, experiment_id, tmp_path):
    src = tmp_path / "same.txt"
    src.write_text("run one\n")
    with mlflow.start_run(experiment_id=experiment_id) as one:
        mlflow.log_artifact(str(src))
    src.write_text("run two\n")
    with mlflow.start_run(experiment_id=experiment_id) as two:
        mlflow.log_artifact(str(src))
    assert mlflow.artifacts.load_text(f"runs:/{one.info.run_id}/same.txt") == "run one\n"
    assert mlflow.artifacts.load_text(f"runs:/{two.info.run_id}/same.txt") == "run two\n"
