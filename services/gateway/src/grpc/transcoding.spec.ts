import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REST_BINDINGS } from './rest-bindings';
import { EncodedMessage, MissingPathField, restRequest, takesMessageAsBody } from './transcoding';

const binding = (method: string) => {
  const found = REST_BINDINGS.get(method);
  assert.ok(found, `${method} is bound`);
  return found;
};

describe('a gRPC request as the REST request it stands for', () => {
  it('passes a message its route takes whole on as it came, a protobuf body naming its type', () => {
    const bytes = Buffer.from([0x0a, 0x02, 0x72, 0x31]);
    const request = restRequest(binding('mlflow.MlflowService/logBatch'), new EncodedMessage('mlflow.LogBatch', bytes));
    assert.deepEqual(request, {
      method: 'POST',
      url: '/api/2.0/mlflow/runs/log-batch',
      payload: bytes,
      contentType: 'application/x-protobuf; messageType=mlflow.LogBatch',
    });
  });

  it('takes whole the messages of routes that read no field from their path or query string', () => {
    assert.ok(takesMessageAsBody(binding('mlflow.MlflowService/logBatch')));
    assert.ok(takesMessageAsBody(binding('mlflow.ModelRegistryService/deleteRegisteredModel')));
    assert.ok(!takesMessageAsBody(binding('mlflow.MlflowService/getRun')));
    assert.ok(!takesMessageAsBody(binding('mlflow.MlflowService/finalizeLoggedModel')));
    assert.ok(!takesMessageAsBody(binding('logbook.v1.TransitionRequestService/deleteComment')));
  });

  it('puts a GET method its fields in the query string, a repeated field once per value', () => {
    const request = restRequest(binding('mlflow.ModelRegistryService/searchModelVersions'), {
      filter: "name = 'churn'",
      order_by: ['version_number DESC', 'creation_timestamp'],
      max_results: '5',
    });
    assert.equal(request.method, 'GET');
    assert.equal(request.payload, undefined);
    const url = new URL(request.url, 'http://gateway');
    assert.equal(url.pathname, '/api/2.0/mlflow/model-versions/search');
    assert.equal(url.searchParams.get('filter'), "name = 'churn'");
    assert.deepEqual(url.searchParams.getAll('order_by'), ['version_number DESC', 'creation_timestamp']);
    assert.equal(url.searchParams.get('max_results'), '5');
  });

  it('fills the path from the fields it names, escaped, and leaves them out of the body', () => {
    const request = restRequest(binding('mlflow.MlflowService/deleteLoggedModelTag'), {
      model_id: 'm-1',
      tag_key: 'a/b c',
    });
    assert.equal(request.method, 'DELETE');
    assert.equal(request.url, '/api/2.0/mlflow/logged-models/m-1/tags/a%2Fb%20c');
    assert.equal(request.payload, '{}');
  });

  it('writes the other fields of such a route as its JSON body, int64 as the decimal strings protobuf JSON allows', () => {
    const request = restRequest(binding('mlflow.MlflowService/LogLoggedModelParams'), {
      model_id: 'm-1',
      params: [{ key: 'k', value: 'v' }],
      after: '9007199254740993',
    });
    assert.deepEqual(request, {
      method: 'POST',
      url: '/api/2.0/mlflow/logged-models/m-1/params',
      payload: '{"params":[{"key":"k","value":"v"}],"after":"9007199254740993"}',
    });
  });

  it('puts the fields of a route that reads its query string there, whatever its verb', () => {
    const request = restRequest(binding('logbook.v1.TransitionRequestService/deleteComment'), { id: 'c 1' });
    assert.deepEqual(request, { method: 'DELETE', url: '/api/2.0/mlflow/comments/delete?id=c+1' });
  });

  it('refuses a message without a field its path needs', () => {
    assert.throws(
      () => restRequest(binding('mlflow.MlflowService/getLoggedModel'), {}),
      (error) =>
        error instanceof MissingPathField && error.message === "Missing value for required parameter 'model_id'",
    );
  });

  it('binds every method to a route under /api/2.0', () => {
    for (const [method, { path }] of REST_BINDINGS) assert.match(path, /^\/api\/2\.0\/[a-z]/, method);
  });
});
