import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_TOPICS, PUBLISHED_TOPICS } from './catalog';
import { contractValidators, EventContract } from './contract';
import { LoggedModelCreatedV1, RunDataLoggedV1, RunInputsLoggedV1, RunRenamedV1, RunStatusChangedV1 } from './tracking';
import { ArtifactStoredV1, ModelDescribedV1 } from './artifacts';

const CONTRACTS = [
  ...PUBLISHED_TOPICS.flatMap((topic) => topic.events),
  ...COMMAND_TOPICS.flatMap((topic) => topic.commands),
];
const validators = contractValidators(CONTRACTS);

/** Given a payload of `contract`'s type at `schemaVersion`, when a consumer validates it: the problems. */
function problemsOf(contract: EventContract, data: unknown, schemaVersion = contract.schemaVersion): string[] {
  return validators[contract.name](data, { schemaVersion });
}

const example = (contract: EventContract) => structuredClone(contract.example) as Record<string, unknown>;

for (const contract of CONTRACTS) {
  describe(`${contract.name} v${contract.schemaVersion}`, () => {
    it('given its documented example, then it is accepted', () => {
      assert.deepEqual(problemsOf(contract, example(contract)), []);
    });

    it('given a field it does not declare, then it is accepted (a version may gain fields)', () => {
      assert.deepEqual(problemsOf(contract, { ...example(contract), addedLater: 'x' }), []);
    });

    for (const [name, field] of Object.entries(contract.data.shape)) {
      if (!field.safeParse(undefined).success) {
        it(`given no ${name}, then it is refused naming the field`, () => {
          const data = example(contract);
          delete data[name];
          assert.deepEqual(problemsOf(contract, data), [`${name}: is required`]);
        });
      }
      it(`given ${name} of a wrong type, then it is refused naming the field`, () => {
        const wrong = field.safeParse(true).success ? 'not a boolean' : true;
        const problems = problemsOf(contract, { ...example(contract), [name]: wrong });
        assert.ok(problems.length > 0, `${JSON.stringify(wrong)} was accepted as ${name}`);
        assert.ok(
          problems.every((problem) => problem.startsWith(`${name}`)),
          problems.join('; '),
        );
      });
    }

    it('given a schemaVersion no contract declares, then it is refused', () => {
      assert.deepEqual(problemsOf(contract, example(contract), contract.schemaVersion + 1), [
        `schemaVersion ${contract.schemaVersion + 1} of ${contract.name} is unknown (known: ${contract.schemaVersion})`,
      ]);
    });

    it('given data that is not an object, then it is refused', () => {
      for (const data of [null, [], 'text', 7]) assert.deepEqual(problemsOf(contract, data), [': must be an object']);
    });
  });
}

describe('contract validators: the shapes inside the payloads', () => {
  it('given metric values as numbers or protobuf JSON non-finite strings, then they are accepted; other strings are not', () => {
    const metric = (value: unknown) => ({ key: 'loss', value, timestamp: 1, step: 0 });
    const data = (value: unknown) => ({ runId: 'r', metrics: [metric(value)], params: [], tags: [] });
    for (const value of [0.5, -3, 'NaN', 'Infinity', '-Infinity']) {
      assert.deepEqual(problemsOf(RunDataLoggedV1, data(value)), [], String(value));
    }
    assert.deepEqual(problemsOf(RunDataLoggedV1, data('nan')), [
      'metrics[0].value: must be a number or one of NaN, Infinity, -Infinity',
    ]);
  });

  it('given a bad element deep in an array, then the problem names its path', () => {
    const data = example(RunInputsLoggedV1);
    (data.datasets as { tags: unknown[] }[])[0].tags.push({ key: 'k', value: 3 });
    assert.deepEqual(problemsOf(RunInputsLoggedV1, data), ['datasets[0].tags[1].value: must be a string']);
  });

  it('given a status outside the enumeration or a fractional time, then both are refused', () => {
    assert.deepEqual(problemsOf(RunStatusChangedV1, { runId: 'r', status: 'DONE', endTime: 1.5 }), [
      'status: must be one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED',
      'endTime: must be an integer',
    ]);
  });

  it('given an empty id or a negative size, then both are refused', () => {
    assert.deepEqual(problemsOf(RunRenamedV1, { runId: '', runName: 'calm' }), ['runId: must not be empty']);
    assert.deepEqual(problemsOf(ArtifactStoredV1, { ...example(ArtifactStoredV1), size: -1 }), ['size: must be >= 0']);
  });

  it('given null for a nullable field, then it is accepted; given null for an optional one, then it is refused', () => {
    assert.deepEqual(problemsOf(LoggedModelCreatedV1, { ...example(LoggedModelCreatedV1), modelType: null }), []);
    const metric = { key: 'loss', value: 1, timestamp: 1, step: 0, modelId: null };
    assert.deepEqual(problemsOf(RunDataLoggedV1, { runId: 'r', metrics: [metric], params: [], tags: [] }), [
      'metrics[0].modelId: must be a string',
    ]);
  });

  it('given a model summary without a signature or with a partial one, then it is accepted; a missing flavor list is not', () => {
    const data = example(ModelDescribedV1);
    const summary = data.summary as Record<string, unknown>;
    assert.deepEqual(problemsOf(ModelDescribedV1, { ...data, summary: { ...summary, signature: null } }), []);
    assert.deepEqual(
      problemsOf(ModelDescribedV1, { ...data, summary: { ...summary, signature: { outputs: [] } } }),
      [],
    );
    delete summary.flavors;
    assert.deepEqual(problemsOf(ModelDescribedV1, data), ['summary.flavors: is required']);
  });
});
