"""Helpers shared by the test_registry_*.py files: real pyfunc models to register.

Every version in these tests comes from a model logged with mlflow.pyfunc, so
its source holds real model files; a server that checks sources at
registration (as Logbook does) registers it just as MLflow does.
"""

import json
import uuid

import mlflow
import mlflow.pyfunc  # needs numpy and pandas

# Registration finishes in well under a second on both servers; the client polls until READY.
AWAIT_SECONDS = 60


def make_add_model(n):
    # Defined in a function so cloudpickle stores the class by value: the model
    # loads in any process, without importing this module.
    class AddN(mlflow.pyfunc.PythonModel):
        def __init__(self, n):
            self.n = n

        def predict(self, context, model_input: list[int], params=None) -> list[int]:
            return [x + self.n for x in model_input]

    return AddN(n)


def log_adder(experiment_id, n, name="model"):
    """Log an AddN model in a new run of `experiment_id`; returns (run_id, ModelInfo)."""
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.pyfunc.log_model(name=name, python_model=make_add_model(n))
    return run.info.run_id, info


def new_experiment(client, prefix):
    return client.create_experiment(f"compat-{prefix}-{uuid.uuid4().hex[:12]}")


def register(model_uri, name, **kwargs):
    return mlflow.register_model(model_uri, name, await_registration_for=AWAIT_SECONDS, **kwargs)


def predict(model_uri, values):
    return list(mlflow.pyfunc.load_model(model_uri).predict(values))


def model_versions_tag(client, model_id):
    """The (name, version) pairs a logged model's mlflow.modelVersions tag lists.

    MLflow 3.17.2 lists each registration twice (the client and the server both
    append, one with an int version, one with a string); a set hides that.
    """
    raw = client.get_logged_model(model_id).tags.get("mlflow.modelVersions", "[]")
    return {(entry["name"], str(entry["version"])) for entry in json.loads(raw)}
