"""The Python side of `npm run bench -- --only grpc --grpc-client python`: log_batch of keys x steps metrics over
REST as MLflow's Python client sends it (requests, a JSON body built from dicts) or over gRPC with MLflow's own
compiled LogBatch message (grpcio), from `clients` processes, each with its own connection and interpreter.

    python grpc_ingest.py <rest|grpc> <rest url> <grpc target> <run ids, comma-separated> <batches> <clients>
                          <keys> <steps> [authorization]

Prints one JSON object: points per second over the phase's wall time, each batch's latency in ms, errors."""

import json
import math
import multiprocessing
import sys
import time

import grpc
import requests
from mlflow.protos import service_pb2


def batch(keys, steps, k, base_ts):
    """Batch k: steps [k*steps, (k+1)*steps), every key at each step, as the TypeScript bench builds them."""
    metrics = []
    for s in range(steps):
        step = k * steps + s
        for key in range(keys):
            metrics.append((f"metric_{key}", math.sin(step + key) * 10, base_ts + step, step))
    return metrics


def rest_sender(url, authorization):
    session = requests.Session()
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}

    def send(run_id, metrics):
        body = {"run_id": run_id, "metrics": [
            {"key": key, "value": value, "timestamp": timestamp, "step": step} for key, value, timestamp, step in metrics
        ]}
        response = session.post(f"{url}/api/2.0/mlflow/runs/log-batch", data=json.dumps(body), headers=headers, timeout=60)
        return response.status_code == 200, f"{response.status_code} {response.text[:200]}"

    return send


def grpc_sender(target, authorization):
    channel = grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
    log_batch = channel.unary_unary(
        "/mlflow.MlflowService/logBatch",
        request_serializer=service_pb2.LogBatch.SerializeToString,
        response_deserializer=service_pb2.LogBatch.Response.FromString,
    )
    metadata = [("authorization", authorization)] if authorization else None

    def send(run_id, metrics):
        request = service_pb2.LogBatch(run_id=run_id, metrics=[
            service_pb2.Metric(key=key, value=value, timestamp=timestamp, step=step)
            for key, value, timestamp, step in metrics
        ])
        try:
            log_batch(request, metadata=metadata, timeout=60)
            return True, ""
        except grpc.RpcError as error:
            return False, f"{error.code()} {error.details()}"

    return send


def client(args):
    transport, url, target, run_ids, indices, keys, steps, base_ts, authorization, start_at = args
    send = rest_sender(url, authorization) if transport == "rest" else grpc_sender(target, authorization)
    # Each process builds its batches before the common start, so the phase times only the sending.
    batches = [(run_ids[i % len(run_ids)], batch(keys, steps, i // len(run_ids), base_ts)) for i in indices]
    while time.time() < start_at:
        time.sleep(0.001)
    latencies, errors = [], []
    cpu_at_start = time.process_time()
    for run_id, metrics in batches:
        started = time.perf_counter()
        ok, error = send(run_id, metrics)
        latencies.append((time.perf_counter() - started) * 1000)
        if not ok:
            errors.append(error)
    return latencies, errors, time.time(), time.process_time() - cpu_at_start


def main():
    transport, url, target, run_ids, batches, clients, keys, steps = sys.argv[1:9]
    authorization = sys.argv[9] if len(sys.argv) > 9 else ""
    run_ids = run_ids.split(",")
    batches, clients, keys, steps = int(batches), int(clients), int(keys), int(steps)
    base_ts = int(time.time() * 1000) - 3_600_000
    start_at = time.time() + 2 + batches * keys * steps / 2_000_000
    work = [
        (transport, url, target, run_ids, list(range(c, batches, clients)), keys, steps, base_ts, authorization, start_at)
        for c in range(clients)
    ]
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(client, work)
    latencies = [ms for result in results for ms in result[0]]
    errors = [error for result in results for error in result[1]]
    wall = max(result[2] for result in results) - start_at
    ok = len(latencies) - len(errors)
    print(json.dumps({
        "pointsPerSecond": round(ok * keys * steps / wall),
        "latenciesMs": latencies,
        "errors": len(errors),
        "samples": errors[:5],
        "clientCpuSeconds": sum(result[3] for result in results),
    }))


if __name__ == "__main__":
    main()
