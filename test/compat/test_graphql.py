"""MLflow's /graphql endpoint, as the web UI calls it: the UI's own queries (copied from MLflow
3.17's UI build), metric values that JSON cannot carry, error shapes and the query limits."""

import math
import sys
import uuid

import pytest
import requests
from mlflow.entities import Metric

GET_RUN = """
query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetRun(input: $data) {
    apiError { helpUrl code message }
    run {
      info { runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId }
      experiment { experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime }
      modelVersions { status version name source }
      data { metrics { key value step timestamp } params { key value } tags { key value } }
      inputs {
        datasetInputs { dataset { digest name profile schema source sourceType } tags { key value } }
        modelInputs { modelId }
      }
      outputs { modelOutputs { modelId step } }
    }
  }
}
"""

SEARCH_RUNS = """
query SearchRuns($data: MlflowSearchRunsInput!) {
  mlflowSearchRuns(input: $data) {
    apiError { helpUrl code message }
    runs {
      info { runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId }
      experiment { experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime }
      data { metrics { key value step timestamp } params { key value } tags { key value } }
      modelVersions { version name creationTimestamp status source }
    }
  }
}
"""

METRIC_HISTORY = """
query GetMetricHistoryBulkInterval($data: MlflowGetMetricHistoryBulkIntervalInput!)
@component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetMetricHistoryBulkInterval(input: $data) {
    __typename
    metrics { timestamp step runId key value }
    apiError { code message }
  }
}
"""

GET_EXPERIMENT = """
query MlflowGetExperimentQuery($input: MlflowGetExperimentInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetExperiment(input: $input) {
    apiError { code message }
    experiment {
      artifactLocation creationTime effectiveTraceArchivalRetention experimentId lastUpdateTime
      lifecycleStage name tags { key value }
    }
  }
}
"""

LARGEST_DOUBLE = sys.float_info.max


def graphql(url, query, variables=None, **body):
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables, **body}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def logged_run(client):
    experiment_id = client.create_experiment(f"graphql-{uuid.uuid4().hex}", tags={"team": "vision"})
    run = client.create_run(experiment_id, run_name="resnet", tags={"stage": "dev"})
    run_id = run.info.run_id
    client.log_param(run_id, "lr", "0.01")
    values = [0.5, math.nan, math.inf, -math.inf, 0.25]
    client.log_batch(
        run_id, metrics=[Metric("loss", value, 1000 + step, step) for step, value in enumerate(values)]
    )
    client.log_metric(run_id, "nan_only", math.nan, timestamp=7, step=0)
    client.set_terminated(run_id)
    return experiment_id, run_id


def test_the_run_page_query(url, logged_run):
    experiment_id, run_id = logged_run
    answer = graphql(url, GET_RUN, {"data": {"runId": run_id}})
    assert answer["errors"] is None
    result = answer["data"]["mlflowGetRun"]
    assert result["apiError"] is None
    run = result["run"]
    assert run["info"]["runUuid"] == run_id
    assert run["info"]["runName"] == "resnet"
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["experimentId"] == experiment_id
    assert run["info"]["lifecycleStage"] == "active"
    assert int(run["info"]["endTime"]) >= int(run["info"]["startTime"]) > 0
    assert run["experiment"]["experimentId"] == experiment_id
    assert run["experiment"]["tags"] == [{"key": "team", "value": "vision"}]
    assert run["modelVersions"] == []
    metrics = {metric["key"]: metric for metric in run["data"]["metrics"]}
    # The latest value of each metric; NaN reads as null, as MLflow's extension answers.
    assert metrics["loss"] == {"key": "loss", "value": 0.25, "step": "4", "timestamp": "1004"}
    assert metrics["nan_only"] == {"key": "nan_only", "value": None, "step": "0", "timestamp": "7"}
    assert run["data"]["params"] == [{"key": "lr", "value": "0.01"}]
    assert {"key": "stage", "value": "dev"} in run["data"]["tags"]
    assert run["inputs"] == {"datasetInputs": [], "modelInputs": []}
    assert run["outputs"] == {"modelOutputs": []}


def test_an_unknown_run_is_an_error_message(url):
    answer = graphql(url, GET_RUN, {"data": {"runId": "0" * 32}})
    assert answer == {"data": {"mlflowGetRun": None}, "errors": [f"Run with id={'0' * 32} not found"]}


def test_metric_history_carries_infinity_as_the_largest_double_and_fails_nan(url, logged_run):
    _, run_id = logged_run
    answer = graphql(url, METRIC_HISTORY, {"data": {"runIds": [run_id], "metricKey": "loss", "maxResults": 320}})
    # The history type is not MLflow's NaN-tolerant extension: NaN fails its value, the rest answers.
    assert answer["errors"] == ["Float cannot represent non numeric value: nan"]
    result = answer["data"]["mlflowGetMetricHistoryBulkInterval"]
    assert result["__typename"] == "MlflowGetMetricHistoryBulkIntervalResponse"
    assert result["apiError"] is None
    assert [(m["step"], m["timestamp"], m["value"]) for m in result["metrics"]] == [
        ("0", "1000", 0.5),
        ("1", "1001", None),
        ("2", "1002", LARGEST_DOUBLE),
        ("3", "1003", -LARGEST_DOUBLE),
        ("4", "1004", 0.25),
    ]
    assert {(m["runId"], m["key"]) for m in result["metrics"]} == {(run_id, "loss")}


def test_the_runs_table_query_and_defaults_of_a_running_run(url, client, logged_run):
    experiment_id, finished_id = logged_run
    running_id = client.create_run(experiment_id).info.run_id
    answer = graphql(url, SEARCH_RUNS, {"data": {"experimentIds": [experiment_id], "filter": ""}})
    assert answer["errors"] is None
    runs = {run["info"]["runUuid"]: run for run in answer["data"]["mlflowSearchRuns"]["runs"]}
    assert set(runs) == {finished_id, running_id}
    # Unset fields read as protobuf defaults, never null.
    assert runs[running_id]["info"]["endTime"] == "0"
    assert runs[running_id]["info"]["status"] == "RUNNING"
    assert runs[running_id]["data"]["metrics"] == []
    assert runs[finished_id]["modelVersions"] == []
    assert runs[finished_id]["experiment"]["experimentId"] == experiment_id


def test_search_runs_pages_and_is_a_mutation_too(url, client, logged_run):
    experiment_id, _ = logged_run
    client.create_run(experiment_id)
    page = "query { mlflowSearchRuns(input: {experimentIds: [\"%s\"], maxResults: 1}) { runs { info { runId } } nextPageToken } }"
    first = graphql(url, page % experiment_id)["data"]["mlflowSearchRuns"]
    assert len(first["runs"]) == 1 and first["nextPageToken"]
    mutation = graphql(url, page.replace("query", "mutation", 1) % experiment_id)
    assert mutation["errors"] is None
    assert mutation["data"]["mlflowSearchRuns"]["runs"] == first["runs"]


def test_the_experiment_query(url, logged_run):
    experiment_id, _ = logged_run
    answer = graphql(url, GET_EXPERIMENT, {"input": {"experimentId": experiment_id}})
    assert answer["errors"] is None
    experiment = answer["data"]["mlflowGetExperiment"]["experiment"]
    assert experiment["experimentId"] == experiment_id
    assert experiment["name"].startswith("graphql-")
    assert experiment["lifecycleStage"] == "active"
    assert int(experiment["creationTime"]) > 0
    assert experiment["tags"] == [{"key": "team", "value": "vision"}]
    assert answer["data"]["mlflowGetExperiment"]["apiError"] is None


def test_artifacts_and_model_versions_of_a_run(url, logged_run):
    _, run_id = logged_run
    answer = graphql(
        url,
        "{ mlflowListArtifacts(input: {runId: \"%s\"}) { rootUri files { path } nextPageToken }"
        " mlflowSearchModelVersions(input: {filter: \"run_id='%s'\"}) { modelVersions { name } nextPageToken } }"
        % (run_id, run_id),
    )
    assert answer["errors"] is None
    assert answer["data"]["mlflowListArtifacts"]["rootUri"].endswith(f"/{run_id}/artifacts")
    assert answer["data"]["mlflowListArtifacts"]["files"] == []
    assert answer["data"]["mlflowSearchModelVersions"] == {"modelVersions": [], "nextPageToken": ""}


def test_validation_errors_are_bare_messages(url):
    assert graphql(url, "{ nope }") == {"data": None, "errors": ["Cannot query field 'nope' on type 'Query'."]}
    two = "query A { test(inputString: \"a\") { output } } query B { test(inputString: \"b\") { output } }"
    assert graphql(url, two)["errors"] == ["Must provide operation name if query contains multiple operations."]
    assert graphql(url, two, operationName="B") == {"data": {"test": {"output": "b"}}, "errors": None}


def test_query_limits(url):
    eleven_roots = " ".join(f"r{i}: test(inputString: \"x\") {{ output }}" for i in range(11))
    assert graphql(url, "{ %s }" % eleven_roots)["errors"] == [
        "GraphQL queries should have at most 10 root fields, got 11 root fields. To increase the limit, "
        "set the MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable."
    ]
    eleven_aliases = " ".join(f"a{i}: output" for i in range(11))
    assert graphql(url, "{ test(inputString: \"x\") { %s } }" % eleven_aliases)["errors"] == [
        "GraphQL queries should have at most 10 aliases, got 11 aliases. To increase the limit, "
        "set the MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable."
    ]
    deep = "{ " + " { ".join("abcdefghijk") + " }" * 11
    assert graphql(url, deep) == {"data": None, "errors": ["Query exceeds maximum depth of 10"]}


def test_a_body_that_is_not_json_is_refused(url):
    response = requests.post(f"{url}/graphql", data="{}", headers={"content-type": "text/plain"}, timeout=30)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.logbook_only
@pytest.mark.parametrize(
    "body",
    [{"query": "{ mlflowGetRun("}, {}, [{"query": "{ test(inputString: \"a\") { output } }"}]],
    ids=["syntax error", "no query", "a list of operations"],
)
def test_malformed_requests_are_400_where_mlflow_answers_500(url, body):
    response = requests.post(f"{url}/graphql", json=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.logbook_only
def test_a_get_takes_the_operation_in_its_query_string(url, logged_run):
    _, run_id = logged_run
    params = {
        "query": "query Q($data: MlflowGetRunInput!) { mlflowGetRun(input: $data) { run { info { runUuid } } } }",
        "variables": '{"data": {"runId": "%s"}}' % run_id,
    }
    response = requests.get(f"{url}/graphql", params=params, timeout=30)
    assert response.json() == {"data": {"mlflowGetRun": {"run": {"info": {"runUuid": run_id}}}}, "errors": None}
    refused = requests.get(f"{url}/graphql", params={**params, "variables": "{"}, timeout=30)
    assert refused.status_code == 400
