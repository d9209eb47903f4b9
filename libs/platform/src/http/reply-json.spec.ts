import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replyJson } from './reply-json';

/** What the reply serializer wrote before: JSON.stringify with a replacer dropping every empty list but the body. */
const withReplacer = (payload: unknown) =>
  JSON.stringify(payload, (key, value: unknown) =>
    key !== '' && Array.isArray(value) && value.length === 0 ? undefined : value,
  );

describe('the reply body as protobuf JSON', () => {
  it('leaves out every field holding an empty list, at any depth, and keeps the rest', () => {
    const run = {
      info: { run_id: 'a', end_time: undefined, start_time: 1 },
      data: { metrics: [{ key: 'm', value: 'NaN', step: 0 }], params: [], tags: [{ key: 't', value: '' }] },
      inputs: { dataset_inputs: [], model_inputs: [] },
      outputs: { model_outputs: [] },
    };
    const body = { runs: [run, run], next_page_token: 'x', empty: {}, none: null };
    assert.equal(
      replyJson(body),
      '{"runs":[' +
        '{"info":{"run_id":"a","start_time":1},"data":{"metrics":[{"key":"m","value":"NaN","step":0}],"tags":[{"key":"t","value":""}]},"inputs":{},"outputs":{}},' +
        '{"info":{"run_id":"a","start_time":1},"data":{"metrics":[{"key":"m","value":"NaN","step":0}],"tags":[{"key":"t","value":""}]},"inputs":{},"outputs":{}}' +
        '],"next_page_token":"x","empty":{},"none":null}',
    );
  });

  it('writes what the replacer wrote for bodies of every shape', () => {
    const when = new Date(Date.UTC(2026, 11, 8));
    const bodies: unknown[] = [
      [],
      {},
      { list: [] },
      [[], [[]], [1, []], { a: [] }],
      { nested: { deeper: { list: [], kept: [0, '', false, null] } } },
      { when, dates: [when], custom: { toJSON: () => ({ list: [], x: 1 }) } },
      { wrapped: { toJSON: () => [] } },
      'text',
      42,
      null,
    ];
    for (const body of bodies) assert.equal(replyJson(body), withReplacer(body), JSON.stringify(body));
  });

  it("never changes the caller's objects", () => {
    const body = { runs: [{ data: { params: [] as unknown[] } }], models: [] as unknown[] };
    const before = structuredClone(body);
    replyJson(body);
    assert.deepEqual(body, before);
    assert.ok(Array.isArray(body.runs[0].data.params));
  });
});
