import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  OrderTerm,
  parseExperimentOrderBy,
  parseModelVersionOrderBy,
  parseRegisteredModelOrderBy,
  parseRunOrderBy,
} from './order-by';
import { assertSyntaxError } from '@logbook/testing';

const term = (kind: OrderTerm['kind'], key: string, ascending: boolean): OrderTerm => ({ kind, key, ascending });

describe('parseRunOrderBy', () => {
  it('returns [] for a missing or empty list', () => {
    assert.deepEqual(parseRunOrderBy(undefined), []);
    assert.deepEqual(parseRunOrderBy([]), []);
  });

  // Items from tests/utils/test_search_utils.py::test_correct_sorting.
  const valid: [string[], OrderTerm[]][] = [
    [['tags.noSuchTag'], [term('tag', 'noSuchTag', true)]],
    [['attributes.status'], [term('attribute', 'status', true)]],
    [['attributes.start_time'], [term('attribute', 'start_time', true)]],
    [['metrics.key1 asc'], [term('metric', 'key1', true)]],
    [['metrics."key1"  desc'], [term('metric', 'key1', false)]],
    [['params.my_param'], [term('param', 'my_param', true)]],
    [
      ['params.my_param aSc', 'attributes.status  ASC'],
      [term('param', 'my_param', true), term('attribute', 'status', true)],
    ],
    [
      ['params.my_param DESC', 'attributes.status   DESC'],
      [term('param', 'my_param', false), term('attribute', 'status', false)],
    ],
    [
      ['params.`my_param` DESC', 'attributes.status DESC'],
      [term('param', 'my_param', false), term('attribute', 'status', false)],
    ],
    [['tags.tag1    DESC'], [term('tag', 'tag1', false)]],
    // test_space_order_by_search_runs
    [['metrics.`Mean Square Error`'], [term('metric', 'Mean Square Error', true)]],
    [['metrics.`Mean Square Error` ASC'], [term('metric', 'Mean Square Error', true)]],
    [['metrics.`Mean Square Error` DESC'], [term('metric', 'Mean Square Error', false)]],
    // Attribute keys and aliases.
    [
      ['run_id', 'run_name DESC', 'user_id', 'end_time', 'artifact_uri'],
      [
        term('attribute', 'run_id', true),
        term('attribute', 'run_name', false),
        term('attribute', 'user_id', true),
        term('attribute', 'end_time', true),
        term('attribute', 'artifact_uri', true),
      ],
    ],
    [['attribute.created DESC'], [term('attribute', 'start_time', false)]],
    [['Created'], [term('attribute', 'start_time', true)]],
    [['tags.mlflow.runName'], [term('tag', 'mlflow.runName', true)]],
    // Same key under different entity types is not a duplicate.
    [
      ['param.a', 'metric.a', 'tag.a'],
      [term('param', 'a', true), term('metric', 'a', true), term('tag', 'a', true)],
    ],
  ];
  for (const [items, expected] of valid) {
    it(`parses ${JSON.stringify(items)}`, () => assert.deepEqual(parseRunOrderBy(items), expected));
  }

  // test_invalid_order_by_search_runs
  const invalid: [string, string][] = [
    ['m.acc', 'Invalid entity type'],
    ['acc', "Invalid attribute key 'acc'"],
    ['attri.x', 'Invalid entity type'],
    ['`metrics.A', 'Invalid order_by clause'],
    ['`metrics.A`', 'Invalid entity type'],
    ['attribute.start', 'Invalid attribute key'],
    ['attribute.experiment_id', 'Invalid attribute key'],
    ['metrics.A != 1', 'Invalid order_by clause'],
    ['params.my_param ', "Invalid order_by clause 'params.my_param '. Could not be parsed."],
    [' params.my_param', 'Invalid order_by clause'],
    ['', 'Invalid order_by clause'],
    ['attribute.run_id ACS', "Invalid ordering key in order_by clause 'attribute.run_id ACS'."],
    ['attribute.run_id decs', 'Invalid ordering key'],
    ['metrics.a DESC extra', 'Invalid order_by clause'],
    ["metrics.a 'DESC'", 'Invalid order_by clause'],
    ['datasets.name', "Invalid identifier type 'dataset'"],
    ['attributes.`Run name`', 'Invalid attribute key'],
  ];
  for (const [item, message] of invalid) {
    it(`rejects ${JSON.stringify(item)}`, () => assertSyntaxError(() => parseRunOrderBy([item]), message));
  }

  // tests/store/tracking/test_sqlalchemy_store.py::test_order_by_attributes (duplicates)
  const duplicates: string[][] = [
    ['attribute.start_time', 'attribute.start_time'],
    ['param.p', 'param.p'],
    ['metric.m', 'metric.m'],
    ['tag.t', 'tag.t'],
    ['metrics.m ASC', 'metric.m DESC'],
    ['created', 'start_time DESC'],
  ];
  for (const items of duplicates) {
    it(`rejects duplicate fields ${JSON.stringify(items)}`, () =>
      assertSyntaxError(() => parseRunOrderBy(items), '`order_by` contains duplicate fields'));
  }
});

describe('parseExperimentOrderBy', () => {
  it('parses the experiment attributes', () => {
    assert.deepEqual(
      parseExperimentOrderBy(['name', 'experiment_id DESC', 'attribute.creation_time ASC', 'last_update_time desc']),
      [
        term('attribute', 'name', true),
        term('attribute', 'experiment_id', false),
        term('attribute', 'creation_time', true),
        term('attribute', 'last_update_time', false),
      ],
    );
  });

  it('lets a field repeat, as MLflow 3.17 does for experiments', () => {
    assert.deepEqual(parseExperimentOrderBy(['name ASC', 'name DESC']), [
      term('attribute', 'name', true),
      term('attribute', 'name', false),
    ]);
  });

  const invalid: [string[], string][] = [
    [['foo'], "Invalid attribute key 'foo'"],
    [['tags.a'], 'Invalid order_by entity: tag'],
    [['attributes.name'], "Invalid entity type 'attributes'"],
    [['name aCs'], 'Invalid ordering key'],
  ];
  for (const [items, message] of invalid) {
    it(`rejects ${JSON.stringify(items)}`, () => assertSyntaxError(() => parseExperimentOrderBy(items), message));
  }
});

describe('parseRegisteredModelOrderBy', () => {
  // tests/store/model_registry/test_sqlalchemy_store.py::test_search_registered_model_order_by
  const valid: [string[], OrderTerm[]][] = [
    [['name DESC'], [term('attribute', 'name', false)]],
    [['last_updated_timestamp DESC'], [term('attribute', 'last_updated_timestamp', false)]],
    [['timestamp DESC'], [term('attribute', 'last_updated_timestamp', false)]],
    [['timestamp'], [term('attribute', 'last_updated_timestamp', true)]],
    [['timestamp\tASC'], [term('attribute', 'last_updated_timestamp', true)]],
    [['timestamp\r\rASC'], [term('attribute', 'last_updated_timestamp', true)]],
    [
      ['timestamp ASC', 'name   DESC'],
      [term('attribute', 'last_updated_timestamp', true), term('attribute', 'name', false)],
    ],
    [['last_updated_timestamp'], [term('attribute', 'last_updated_timestamp', true)]],
  ];
  for (const [items, expected] of valid) {
    it(`parses ${JSON.stringify(items)}`, () => assert.deepEqual(parseRegisteredModelOrderBy(items), expected));
  }

  // tests/utils/test_search_utils.py::test_invalid_order_by_search_registered_models
  const invalid: [string[], string][] = [
    [
      ['creation_timestamp DESC'],
      "Invalid order by key 'creation_timestamp' specified. Valid keys are '['name', 'timestamp']'",
    ],
    [['last_updated_timestamp DESC blah'], 'Invalid order_by clause'],
    [[''], 'Invalid order_by clause'],
    [['timestamp somerandomstuff ASC'], 'Invalid order_by clause'],
    [['timestamp somerandomstuff'], 'Invalid order_by clause'],
    [['timestamp decs'], 'Invalid order_by clause'],
    [['timestamp ACS'], 'Invalid order_by clause'],
    [['name aCs'], 'Invalid ordering key'],
    [['attribute.name'], 'Invalid order by key'],
    // test_parse_search_registered_models_order_by
    [['last_updated_timestamp', 'last_updated_timestamp'], '`order_by` contains duplicate fields:'],
    [['timestamp', 'timestamp'], '`order_by` contains duplicate fields:'],
    [['timestamp', 'last_updated_timestamp'], '`order_by` contains duplicate fields:'],
    [['last_updated_timestamp ASC', 'last_updated_timestamp DESC'], '`order_by` contains duplicate fields:'],
    [
      ['last_updated_timestamp', 'last_updated_timestamp DESC'],
      "`order_by` contains duplicate fields: ['last_updated_timestamp', 'last_updated_timestamp DESC']",
    ],
  ];
  for (const [items, message] of invalid) {
    it(`rejects ${JSON.stringify(items)}`, () => assertSyntaxError(() => parseRegisteredModelOrderBy(items), message));
  }
});

describe('parseModelVersionOrderBy', () => {
  // tests/store/model_registry/test_sqlalchemy_store.py::test_search_model_versions_order_by_*
  it('parses the model version attributes', () => {
    assert.deepEqual(
      parseModelVersionOrderBy([
        'name DESC',
        'version_number DESC',
        'creation_timestamp',
        'last_updated_timestamp ASC',
      ]),
      [
        term('attribute', 'name', false),
        term('attribute', 'version_number', false),
        term('attribute', 'creation_timestamp', true),
        term('attribute', 'last_updated_timestamp', true),
      ],
    );
  });

  const invalid: [string[], string][] = [
    [['name ASC', 'run_id DESC'], "Invalid attribute key 'run_id' specified"],
    [['name ASC', 'last_updated_timestamp DESC blah'], "Invalid order_by clause 'last_updated_timestamp DESC blah'"],
    [['tags.t'], 'Invalid order_by entity: tag'],
    [['version_number', 'version_number DESC'], '`order_by` contains duplicate fields'],
  ];
  for (const [items, message] of invalid) {
    it(`rejects ${JSON.stringify(items)}`, () => assertSyntaxError(() => parseModelVersionOrderBy(items), message));
  }
});
