"""Calling a Logbook's gRPC endpoint with MLflow's own compiled messages, and the same method over REST.

A method is named as gRPC names it (`mlflow.MlflowService/createExperiment`); its request and response
classes come from mlflow.protos, and its REST route from the `rpc` option MLflow's proto declares for it,
so the REST side of a comparison owes nothing to Logbook's own table of bindings."""

import math
import os
import re
from urllib.parse import quote, urlsplit

import requests
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, json_format, message_factory
from mlflow.protos import databricks_pb2, mlflow_artifacts_pb2, model_registry_pb2, service_pb2, webhooks_pb2

_SERVICE_FILES = (service_pb2, model_registry_pb2, webhooks_pb2, mlflow_artifacts_pb2)


def grpc_target(url):
    """LOGBOOK_GRPC_TARGET, else the REST server's host on its port + 10000 (as test/support/shapes.sh starts it)."""
    explicit = os.environ.get("LOGBOOK_GRPC_TARGET", "").strip()
    if explicit:
        return explicit
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port + 10000}"


def _method_descriptor(full_name):
    service_name, method_name = full_name.split("/")
    for module in _SERVICE_FILES:
        for service in module.DESCRIPTOR.services_by_name.values():
            if service.full_name == service_name:
                return service.methods_by_name[method_name]
    raise KeyError(full_name)


class Method:
    """One of MLflow's RPCs: its gRPC path, request and response classes, and the REST route MLflow declares."""

    def __init__(self, full_name):
        descriptor = _method_descriptor(full_name)
        self.path = f"/{full_name}"
        self.request = message_factory.GetMessageClass(descriptor.input_type)
        self.response = self.request.Response
        endpoint = descriptor.GetOptions().Extensions[databricks_pb2.rpc].endpoints[0]
        self.verb = endpoint.method
        self.rest_path = f"/api/2.0{endpoint.path}"


def _query(fields):
    """A GET request's fields as MLflow's REST routes read them: repeated fields repeated, booleans in lower case."""
    params = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            params.append((name, str(item).lower() if isinstance(item, bool) else item))
    return params


class Endpoints:
    """The same server over gRPC and over REST, as one caller (`authorization` as metadata and as header)."""

    def __init__(self, channel, url, authorization=None):
        self.channel = channel
        self.url = url
        self.authorization = authorization

    def grpc(self, full_name, timeout=30, **fields):
        method = Method(full_name)
        call = self.channel.unary_unary(
            method.path,
            request_serializer=method.request.SerializeToString,
            response_deserializer=method.response.FromString,
        )
        metadata = [("authorization", self.authorization)] if self.authorization else None
        return call(method.request(**fields), timeout=timeout, metadata=metadata)

    def rest(self, full_name, **fields):
        method = Method(full_name)
        body = json_format.MessageToDict(method.request(**fields), preserving_proto_field_name=True)
        path = re.sub(r"\{(\w+)\}", lambda field: quote(str(body.pop(field[1])), safe=""), method.rest_path)
        headers = {"Authorization": self.authorization} if self.authorization else {}
        if method.verb == "GET":
            answer = requests.get(f"{self.url}{path}", params=_query(body), headers=headers, timeout=30)
        else:
            answer = requests.request(
                method.verb, f"{self.url}{path}", json=body, headers=headers, timeout=30
            )
        assert answer.status_code == 200, f"{method.verb} {path}: {answer.status_code} {answer.text}"
        return json_format.ParseDict(answer.json(), method.response(), ignore_unknown_fields=True)

    def both(self, full_name, **fields):
        """The gRPC answer, then the REST answer to the same (read-only) request."""
        return self.grpc(full_name, **fields), self.rest(full_name, **fields)


def as_dict(message):
    """A message as plain data to compare: NaN and the infinities as the strings protobuf JSON writes (so NaN
    equals NaN), int64 as decimal strings."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def assert_same(grpc_answer, rest_answer):
    assert as_dict(grpc_answer) == as_dict(rest_answer)


def same_double(actual, expected):
    return math.isnan(actual) if math.isnan(expected) else actual == expected


def _field(name, number, type_name=None, scalar=descriptor_pb2.FieldDescriptorProto.TYPE_STRING, repeated=False):
    field = descriptor_pb2.FieldDescriptorProto(name=name, number=number, type=scalar)
    field.label = field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL
    if type_name:
        field.type_name = type_name
    return field


def _standard_messages():
    """google.rpc.Status and ErrorInfo (gRPC's richer error model) and the health checking protocol's messages,
    declared here because their compiled modules (googleapis-common-protos, grpcio-health-checking) are not
    among the suite's dependencies. A pool of their own keeps them apart from any compiled copy."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
    kinds = descriptor_pb2.FieldDescriptorProto
    rpc = descriptor_pb2.FileDescriptorProto(
        name="logbook_test/google_rpc.proto", package="google.rpc", dependency=["google/protobuf/any.proto"]
    )
    rpc.message_type.add(
        name="Status",
        field=[
            _field("code", 1, scalar=kinds.TYPE_INT32),
            _field("message", 2),
            _field("details", 3, ".google.protobuf.Any", kinds.TYPE_MESSAGE, repeated=True),
        ],
    )
    rpc.message_type.add(name="ErrorInfo", field=[_field("reason", 1), _field("domain", 2)])
    pool.Add(rpc)
    health = descriptor_pb2.FileDescriptorProto(name="logbook_test/health.proto", package="grpc.health.v1")
    health.message_type.add(name="HealthCheckRequest", field=[_field("service", 1)])
    response = health.message_type.add(name="HealthCheckResponse")
    response.enum_type.add(
        name="ServingStatus",
        value=[
            descriptor_pb2.EnumValueDescriptorProto(name=name, number=number)
            for number, name in enumerate(["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"])
        ],
    )
    response.field.append(
        _field("status", 1, ".grpc.health.v1.HealthCheckResponse.ServingStatus", kinds.TYPE_ENUM)
    )
    pool.Add(health)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
        for name in ("google.rpc.Status", "google.rpc.ErrorInfo", "grpc.health.v1.HealthCheckRequest",
                     "grpc.health.v1.HealthCheckResponse")
    }


STANDARD = _standard_messages()


def error_infos(error):
    """The google.rpc.ErrorInfo details of a failed call's `grpc-status-details-bin` trailer, and its Status."""
    trailers = dict(error.trailing_metadata() or ())
    status = STANDARD["google.rpc.Status"].FromString(trailers["grpc-status-details-bin"])
    infos = [
        STANDARD["google.rpc.ErrorInfo"].FromString(detail.value)
        for detail in status.details
        if detail.type_url == "type.googleapis.com/google.rpc.ErrorInfo"
    ]
    return status, infos


def assert_mlflow_error(error, status_code, error_code, message=None):
    """A failed call in MLflow's terms: the mapped status, MLflow's message, the error code as trailer and ErrorInfo."""
    assert error.code() == status_code, f"{error.code()}: {error.details()}"
    if message is not None:
        assert message in error.details(), error.details()
    trailers = dict(error.trailing_metadata() or ())
    assert trailers.get("mlflow-error-code") == error_code, trailers
    status, infos = error_infos(error)
    assert status.code == status_code.value[0] and status.message == error.details()
    assert [(info.reason, info.domain) for info in infos] == [(error_code, "mlflow.org")]
