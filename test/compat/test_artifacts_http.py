"""Raw HTTP checks of the artifact proxy (/api/2.0/mlflow-artifacts/...) and of
the tracking API's artifacts/list, as the MLflow server answers them.

Every test writes below the artifact root of a run it creates itself
(<exp>/<run>/artifacts), so nothing depends on the server accepting arbitrary
top-level paths. Path-traversal requests are sent with http.client, which puts
the request target on the wire byte for byte (requests would normalise "../"
and decode "%2e").
"""

import http.client
import json
import os
import urllib.parse
import uuid

import pytest
import requests

TIMEOUT = 30
DATA = b"0123456789abcdefghijKLMNOP"  # 26 bytes


@pytest.fixture
def art(url):
    return f"{url}/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def run_info(api):
    r = requests.post(
        f"{api}/experiments/create",
        json={"name": f"compat-arthttp-{uuid.uuid4().hex[:12]}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    r = requests.post(
        f"{api}/runs/create",
        json={"experiment_id": r.json()["experiment_id"], "start_time": 1_700_000_000_000},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return r.json()["run"]["info"]


@pytest.fixture
def root(run_info):
    """The run's artifact root as a proxy path: <exp>/<run>/artifacts."""
    uri = run_info["artifact_uri"]
    assert uri.startswith("mlflow-artifacts:/"), uri
    return uri[len("mlflow-artifacts:") :].strip("/")


def q(path):
    """Percent-encode a proxy path for a URL (keeps '/')."""
    return urllib.parse.quote(path, safe="/")


def put(art, path, data=DATA, **kw):
    r = requests.put(f"{art}/{q(path)}", data=data, timeout=TIMEOUT, **kw)
    assert r.status_code == 200, r.text
    # MLflow answers an empty body; {} is as good for the client.
    assert r.content.strip() in (b"", b"{}")
    return r


def listing(art, path):
    r = requests.get(art, params={"path": path}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def files_of(body):
    return {f["path"]: f for f in body.get("files", [])}


def assert_invalid_path(status, body):
    assert status == 400, body
    err = json.loads(body)
    assert err["error_code"] == "INVALID_PARAMETER_VALUE"
    assert err["message"] == "Invalid path"


def raw(url, method, target, body=None, content_type="application/octet-stream"):
    """Send `target` exactly as given; returns (status, body bytes)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT)
    try:
        headers = {"Content-Type": content_type} if body is not None else {}
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def content_disposition_filename(value):
    """The file name a browser would use from a Content-Disposition value."""
    kind, _, params = value.partition(";")
    assert kind.strip() == "attachment", value
    found = {}
    for part in params.split(";"):
        k, _, v = part.strip().partition("=")
        found[k.strip().lower()] = v.strip()
    if "filename*" in found:
        charset, _, rest = found["filename*"].partition("''")
        assert charset.upper() == "UTF-8", value
        return urllib.parse.unquote(rest)
    v = found["filename"]
    if v.startswith('"'):
        v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return v


# --- upload, download, headers ---------------------------------------------


def test_put_then_get_roundtrip(art, root):
    put(art, f"{root}/dir/hello.txt")
    r = requests.get(f"{art}/{root}/dir/hello.txt", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.content == DATA
    assert r.headers["Content-Length"] == str(len(DATA))


def test_put_binary_and_unicode_name(art, root):
    blob = bytes(range(256)) * 8 + os.urandom(50_000)
    name = "dir/ünï cødé €.bin"
    put(art, f"{root}/{name}", data=blob)
    r = requests.get(f"{art}/{q(root + '/' + name)}", timeout=TIMEOUT)
    assert r.status_code == 200 and r.content == blob
    entry = files_of(listing(art, f"{root}/dir"))["ünï cødé €.bin"]
    assert entry == {"path": "ünï cødé €.bin", "is_dir": False, "file_size": len(blob)}


def test_get_headers(art, root):
    put(art, f"{root}/report.csv", data=b"a,b\n1,2\n")
    r = requests.get(f"{art}/{root}/report.csv", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == "attachment; filename=report.csv"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Type"].split(";")[0].strip() == "text/plain"
    assert r.headers.get("Accept-Ranges") == "bytes"


@pytest.mark.parametrize(
    "name, mime",
    [
        # MLflow's own text list (mlflow/utils/mime_type_utils.py) wins over mimetypes:
        ("notes.txt", "text/plain"),
        ("params.json", "text/plain"),
        ("conda.yaml", "text/plain"),
        ("MLmodel", "text/plain"),
        ("train.py", "text/plain"),
        # then Python's mimetypes, then application/octet-stream.
        ("plot.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
        ("model.pkl", "application/octet-stream"),
        ("weights.bin", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_get_content_type_guessed_from_name(art, root, name, mime):
    put(art, f"{root}/{name}")
    r = requests.get(f"{art}/{root}/{name}", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0].strip() == mime
    assert content_disposition_filename(r.headers["Content-Disposition"]) == name


@pytest.mark.parametrize("name", ["a b.txt", "ü.txt", 'q"uote.txt', "日本語"])
def test_content_disposition_quotes_odd_names(art, root, name):
    # MLflow: filename="a b.txt"; non-ASCII: filename=<ascii>; filename*=UTF-8''<pct>.
    put(art, f"{root}/{name}")
    r = requests.get(f"{art}/{q(root + '/' + name)}", timeout=TIMEOUT)
    assert r.status_code == 200 and r.content == DATA
    cd = r.headers["Content-Disposition"]
    cd.encode("ascii")  # headers stay ASCII
    assert content_disposition_filename(cd) == name


def test_get_missing_file_is_404(art, root):
    r = requests.get(f"{art}/{root}/nope/missing.txt", timeout=TIMEOUT)
    assert r.status_code == 404
    err = r.json()
    assert err["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "missing.txt" in err["message"]  # MLflow: "No such artifact: '<path>'"


def test_get_directory_is_4xx(art, root):
    put(art, f"{root}/somedir/file.txt")
    r = requests.get(f"{art}/{root}/somedir", timeout=TIMEOUT)
    # MLflow: 400 "Artifact path refers to a directory, not a file"; an object
    # store naturally answers 404 for a prefix.
    assert r.status_code in (400, 404), r.text


# --- Range requests ----------------------------------------------------------


def test_range_request_returns_206_slice(art, root):
    put(art, f"{root}/r.txt")
    r = requests.get(f"{art}/{root}/r.txt", headers={"Range": "bytes=10-19"}, timeout=TIMEOUT)
    assert r.status_code == 206
    assert r.content == DATA[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(DATA)}"
    assert r.headers["Content-Length"] == "10"
    assert r.headers["Content-Disposition"] == "attachment; filename=r.txt"


@pytest.mark.parametrize(
    "header, start, end",
    [("bytes=20-", 20, 25), ("bytes=-5", 21, 25), ("bytes=0-0", 0, 0), ("bytes=5-1000", 5, 25)],
)
def test_range_request_forms(art, root, header, start, end):
    put(art, f"{root}/r.txt")
    r = requests.get(f"{art}/{root}/r.txt", headers={"Range": header}, timeout=TIMEOUT)
    assert r.status_code == 206
    assert r.content == DATA[start : end + 1]
    assert r.headers["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"


def test_range_not_satisfiable_is_416(art, root):
    put(art, f"{root}/r.txt")
    r = requests.get(f"{art}/{root}/r.txt", headers={"Range": "bytes=100-200"}, timeout=TIMEOUT)
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{len(DATA)}"


# --- list endpoint -----------------------------------------------------------


def test_list_returns_basenames(art, root):
    put(art, f"{root}/d/a.txt")
    put(art, f"{root}/d/b.bin", data=b"x" * 1000)
    put(art, f"{root}/d/sub/c.txt")
    body = listing(art, f"{root}/d")
    assert set(body) == {"files"}
    files = files_of(body)
    assert files == {
        "a.txt": {"path": "a.txt", "is_dir": False, "file_size": len(DATA)},
        "b.bin": {"path": "b.bin", "is_dir": False, "file_size": 1000},
        # directories carry no file_size
        "sub": {"path": "sub", "is_dir": True},
    }
    assert files_of(listing(art, f"{root}/d/sub")) == {
        "c.txt": {"path": "c.txt", "is_dir": False, "file_size": len(DATA)}
    }
    # trailing slash: same directory
    assert files_of(listing(art, f"{root}/d/")) == files


def test_list_file_or_missing_path_is_empty_object(art, root):
    put(art, f"{root}/only.txt")
    assert listing(art, f"{root}/only.txt") == {}
    assert listing(art, f"{root}/does/not/exist") == {}
    assert listing(art, root) != {}


def test_list_empty_file_size(art, root):
    put(art, f"{root}/e/empty.txt", data=b"")
    entry = files_of(listing(art, f"{root}/e"))["empty.txt"]
    # MLflow omits file_size when it is 0 (the client reads None).
    assert entry["is_dir"] is False and entry.get("file_size", 0) == 0


# --- delete ------------------------------------------------------------------


def test_delete_file_then_get_404(art, root):
    put(art, f"{root}/del/x.txt")
    put(art, f"{root}/del/keep.txt")
    r = requests.delete(f"{art}/{root}/del/x.txt", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {}
    assert requests.get(f"{art}/{root}/del/x.txt", timeout=TIMEOUT).status_code == 404
    assert set(files_of(listing(art, f"{root}/del"))) == {"keep.txt"}
    assert requests.get(f"{art}/{root}/del/keep.txt", timeout=TIMEOUT).content == DATA


def test_delete_directory_is_recursive(art, root):
    put(art, f"{root}/tree/a.txt")
    put(art, f"{root}/tree/sub/b.txt")
    put(art, f"{root}/other.txt")
    r = requests.delete(f"{art}/{root}/tree", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {}
    assert listing(art, f"{root}/tree") == {}
    assert requests.get(f"{art}/{root}/tree/sub/b.txt", timeout=TIMEOUT).status_code == 404
    assert set(files_of(listing(art, root))) == {"other.txt"}


def test_delete_missing_is_ok(art, root):
    r = requests.delete(f"{art}/{root}/never/was.txt", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {}


# --- path traversal (MLflow rejects all of these with 400 "Invalid path") ----

PREFIX = "/api/2.0/mlflow-artifacts/artifacts"

# Each resolves, if a server wrongly decoded and normalised it, to
# <root>/escape.txt (one level up from <root>/sub), or above the root.
TRAVERSALS = [
    "sub/../escape.txt",
    "sub/%2e%2e/escape.txt",
    "sub/%2E%2E%2Fescape.txt",
    "sub/..%2fescape.txt",
    "sub/%252e%252e%252fescape.txt",  # double-encoded
    "sub/%25252e%25252e%25252fescape.txt",  # triple-encoded
    "../../../../../tmp/escape.txt",
    "%2e%2e/%2e%2e/%2e%2e/escape.txt",
]


@pytest.mark.parametrize("trav", TRAVERSALS)
def test_traversal_put_rejected_nothing_written(url, art, root, trav):
    status, body = raw(url, "PUT", f"{PREFIX}/{root}/{trav}", body=b"evil")
    assert_invalid_path(status, body)
    assert listing(art, root) == {}
    assert requests.get(f"{art}/{root}/escape.txt", timeout=TIMEOUT).status_code == 404


@pytest.mark.parametrize("trav", TRAVERSALS)
def test_traversal_get_and_delete_rejected(url, art, root, trav):
    put(art, f"{root}/escape.txt")
    put(art, f"{root}/sub/keep.txt")
    status, body = raw(url, "GET", f"{PREFIX}/{root}/{trav}")
    assert_invalid_path(status, body)
    status, body = raw(url, "DELETE", f"{PREFIX}/{root}/{trav}")
    assert_invalid_path(status, body)
    assert set(files_of(listing(art, root))) == {"escape.txt", "sub"}


@pytest.mark.parametrize(
    "target", ["/{root}/abs.txt", "%2F{root}%2Fabs.txt", "/etc/passwd", "%2Fetc%2Fpasswd"]
)
def test_absolute_path_rejected(url, art, root, target):
    target = target.format(root=root)
    status, body = raw(url, "PUT", f"{PREFIX}/{target}", body=b"evil")
    assert_invalid_path(status, body)
    status, body = raw(url, "GET", f"{PREFIX}/{target}")
    assert_invalid_path(status, body)
    assert listing(art, root) == {}


@pytest.mark.parametrize(
    "path", ["{root}/../x", "{root}/%2e%2e/x", "{root}/%252e%252e%252fx", "/etc"]
)
def test_list_traversal_rejected(url, root, path):
    path = path.format(root=root)
    status, body = raw(url, "GET", f"{PREFIX}?path={urllib.parse.quote(path, safe='/%')}")
    assert_invalid_path(status, body)


# --- tracking API: artifacts/list -----------------------------------------------


def test_tracking_artifacts_list(api, art, root, run_info):
    rid = run_info["run_id"]
    put(art, f"{root}/f.txt")
    put(art, f"{root}/t/a.csv", data=b"a,b\n")
    put(art, f"{root}/t/sub/b.txt")

    def lst(**params):
        r = requests.get(f"{api}/artifacts/list", params={"run_id": rid, **params}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()

    body = lst()
    assert body["root_uri"] == run_info["artifact_uri"]
    assert files_of(body) == {
        "f.txt": {"path": "f.txt", "is_dir": False, "file_size": len(DATA)},
        "t": {"path": "t", "is_dir": True},
    }
    body = lst(path="t")
    assert body["root_uri"] == run_info["artifact_uri"]
    # run-relative paths here, unlike the proxy's basenames
    assert files_of(body) == {
        "t/a.csv": {"path": "t/a.csv", "is_dir": False, "file_size": 4},
        "t/sub": {"path": "t/sub", "is_dir": True},
    }
    assert files_of(lst(path="t/sub")) == {
        "t/sub/b.txt": {"path": "t/sub/b.txt", "is_dir": False, "file_size": len(DATA)}
    }
    # A file or a missing path: root_uri only.
    assert lst(path="f.txt") == {"root_uri": run_info["artifact_uri"]}
    assert lst(path="nope") == {"root_uri": run_info["artifact_uri"]}
    # run_uuid is the legacy spelling and still works.
    r = requests.get(f"{api}/artifacts/list", params={"run_uuid": rid}, timeout=TIMEOUT)
    assert r.status_code == 200 and set(files_of(r.json())) == {"f.txt", "t"}


def test_tracking_artifacts_list_errors(api, run_info):
    r = requests.get(f"{api}/artifacts/list", timeout=TIMEOUT)
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = requests.get(f"{api}/artifacts/list", params={"run_id": uuid.uuid4().hex}, timeout=TIMEOUT)
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.get(
        f"{api}/artifacts/list",
        params={"run_id": run_info["run_id"], "path": "../x"},
        timeout=TIMEOUT,
    )
    assert_invalid_path(r.status_code, r.content)


# --- multipart endpoints: the parts every server shares -------------------------


@pytest.mark.parametrize("kind", ["create", "complete", "abort"])
def test_mpu_rejects_traversal(url, root, kind):
    body = {"path": "/tmp/blob.bin", "num_parts": 1, "upload_id": "x", "parts": []}
    status, resp = raw(
        url,
        "POST",
        f"/api/2.0/mlflow-artifacts/mpu/{kind}/{root}/%2e%2e/%2e%2e",
        body=json.dumps(body).encode(),
        content_type="application/json",
    )
    assert_invalid_path(status, resp)


def test_mpu_create_supported_or_clean_501(url, root, tmp_path):
    """Either multipart works (upload_id + one credential per part), or the
    server answers exactly what makes the client fall back to a single PUT."""
    r = requests.post(
        f"{url}/api/2.0/mlflow-artifacts/mpu/create/{root}/mp",
        json={"path": str(tmp_path / "blob.bin"), "num_parts": 2},
        timeout=TIMEOUT,
    )
    if r.status_code == 501:
        err = r.json()
        assert err["error_code"] == "NOT_IMPLEMENTED"
        assert err["message"].startswith(
            "Multipart upload is not supported for the current artifact repository"
        )
        return
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["upload_id"], str) and body["upload_id"]
    assert [c["part_number"] for c in body["credentials"]] == [1, 2]
    assert all(c["url"].startswith(("http://", "https://")) for c in body["credentials"])
    r = requests.post(
        f"{url}/api/2.0/mlflow-artifacts/mpu/abort/{root}/mp",
        json={"path": str(tmp_path / "blob.bin"), "upload_id": body["upload_id"]},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
