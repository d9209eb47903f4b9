"""`npm run bench -- --peers --search-seed sql` (bench.ts, search-seed.ts): W2's runs written into MLflow's
database set-based, in the rows MLflow's own SqlAlchemyStore writes for the bench's runs/create and log-batch
requests, through the store's table models. Runs from .logbook/peers-venv against the database of an MLflow
server the bench started, whose experiment exists (created through its API) and holds none of these runs.

    python mlflow_search_seed.py DATABASE_URI EXPERIMENT_ID RUNS_JSONL

Each line of RUNS_JSONL: {"run_id": ..., "create": <runs/create body>, "batch": <log-batch body>}.
"""

import json
import sys
import time

from mlflow.entities import LifecycleStage, RunStatus, SourceType
from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME
from mlflow.utils.uri import append_to_uri_path
from sqlalchemy import insert

RUNS_PER_TRANSACTION = 5000


def rows_of(store, experiment, run):
    """The rows create_run and log_batch would add for one run's two requests."""
    run_id = run["run_id"]
    create = run["create"]
    batch = run["batch"]
    run_row = {
        "run_uuid": run_id,
        "name": create["run_name"],
        "artifact_uri": append_to_uri_path(
            experiment.artifact_location, run_id, SqlAlchemyStore.ARTIFACTS_FOLDER_NAME
        ),
        "experiment_id": int(experiment.experiment_id),
        "source_type": SourceType.to_string(SourceType.UNKNOWN),
        "source_name": "",
        "entry_point_name": "",
        # runs/create's user_id, unset in the request: the empty string its message reads as.
        "user_id": create.get("user_id", ""),
        "status": RunStatus.to_string(RunStatus.RUNNING),
        "start_time": create["start_time"],
        "end_time": None,
        "deleted_time": None,
        "source_version": "",
        "lifecycle_stage": LifecycleStage.ACTIVE,
    }
    tags = {tag["key"]: tag["value"] for tag in create["tags"]}
    tags.setdefault(MLFLOW_RUN_NAME, create["run_name"])
    tags.update({tag["key"]: tag["value"] for tag in batch.get("tags", [])})
    tag_rows = [{"run_uuid": run_id, "key": key, "value": value} for key, value in tags.items()]
    param_rows = [{"run_uuid": run_id, "key": p["key"], "value": p["value"]} for p in batch["params"]]
    metric_rows = []
    latest = {}
    for m in batch["metrics"]:
        is_nan, value = store.sanitize_metric_value(float(m["value"]))
        row = {
            "run_uuid": run_id,
            "key": m["key"],
            "value": value,
            "timestamp": m["timestamp"],
            "step": m.get("step", 0),
            "is_nan": is_nan,
        }
        metric_rows.append(row)
        # The latest point of a key: the highest (step, timestamp, value), as the store keeps it.
        held = latest.get(m["key"])
        if held is None or (row["step"], row["timestamp"], row["value"]) > (
            held["step"],
            held["timestamp"],
            held["value"],
        ):
            latest[m["key"]] = row
    return run_row, tag_rows, param_rows, metric_rows, list(latest.values())


def write(store, experiment, runs):
    tables = {SqlRun: [], SqlTag: [], SqlParam: [], SqlMetric: [], SqlLatestMetric: []}
    for run in runs:
        run_row, tag_rows, param_rows, metric_rows, latest_rows = rows_of(store, experiment, run)
        tables[SqlRun].append(run_row)
        tables[SqlTag].extend(tag_rows)
        tables[SqlParam].extend(param_rows)
        tables[SqlMetric].extend(metric_rows)
        tables[SqlLatestMetric].extend(latest_rows)
    with store.ManagedSessionMaker(read_only=False) as session:
        for model, rows in tables.items():
            session.execute(insert(model.__table__), rows)


def main():
    database_uri, experiment_id, runs_file = sys.argv[1:4]
    store = SqlAlchemyStore(database_uri, "unused-artifact-root")
    experiment = store.get_experiment(experiment_id)
    started = time.monotonic()
    written = 0
    pending = []
    with open(runs_file, encoding="utf-8") as lines:
        for line in lines:
            pending.append(json.loads(line))
            if len(pending) == RUNS_PER_TRANSACTION:
                write(store, experiment, pending)
                written += len(pending)
                pending = []
                if written % (10 * RUNS_PER_TRANSACTION) == 0:
                    rate = written / (time.monotonic() - started)
                    print(f"mlflow seed: {written} runs ({rate:.0f} runs/s)", file=sys.stderr, flush=True)
    if pending:
        write(store, experiment, pending)
        written += len(pending)
    print(json.dumps({"runs": written, "seconds": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main()
