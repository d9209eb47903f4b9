import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'graphql';
import { querySafetyError } from './query-safety';

const limits = { maxRootFields: 10, maxAliases: 10 };
const refusal = (query: string, given = limits) => querySafetyError(parse(query), given)?.message;

describe("MLflow's GraphQL query limits", () => {
  it('passes the queries of the web UI', () => {
    assert.equal(
      refusal('{ mlflowGetRun(input: {runId: "r"}) { run { info { runId } data { metrics { key } } } } }'),
      undefined,
    );
  });

  it('refuses a selection set deeper than 10', () => {
    const nested = (depth: number) => '{ f'.repeat(depth) + ' }'.repeat(depth);
    assert.equal(refusal(nested(10)), undefined);
    assert.equal(refusal(nested(11)), 'Query exceeds maximum depth of 10');
  });

  it('refuses more than 1000 selections in all', () => {
    const fields = (count: number) => Array.from({ length: count }, (_, i) => `f${i}`).join(' ');
    assert.equal(refusal(`{ a { ${fields(999)} } }`), undefined);
    assert.equal(refusal(`{ a { ${fields(1000)} } }`), 'Query exceeds maximum total selections of 1000');
  });

  it('counts root fields, and names the setting that raises the limit', () => {
    const roots = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `f${i}`).join(' ')} }`;
    assert.equal(refusal(roots(10)), undefined);
    assert.equal(
      refusal(roots(3), { maxRootFields: 2, maxAliases: 10 }),
      'GraphQL queries should have at most 2 root fields, got 3 root fields. To increase the limit, ' +
        'set the MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable.',
    );
  });

  it('counts the aliases of one level across sibling fragments, inline and spread', () => {
    const query = `
      query { test { a1: output a2: output ... on Test { a3: output a4: output } ...More ...More } }
      fragment More on Test { a5: output a6: output }`;
    assert.equal(refusal(query, { maxRootFields: 10, maxAliases: 6 }), undefined);
    assert.equal(
      refusal(query, { maxRootFields: 10, maxAliases: 5 }),
      'GraphQL queries should have at most 5 aliases, got 6 aliases. To increase the limit, ' +
        'set the MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable.',
    );
  });

  it('follows a cycle of fragments once', () => {
    const query = `
      query { ...A }
      fragment A on Query { test { output } ...B }
      fragment B on Query { ...A }`;
    assert.equal(refusal(query), undefined);
  });
});
