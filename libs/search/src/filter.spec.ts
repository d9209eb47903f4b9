import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Clause,
  SearchSyntaxError,
  parseExperimentFilter,
  parseLoggedModelFilter,
  parseModelVersionFilter,
  parseRegisteredModelFilter,
  parseRunFilter,
} from './filter';
import { assertSyntaxError } from '@logbook/testing';

const clause = (
  kind: Clause['kind'],
  key: string,
  comparator: Clause['comparator'],
  value: Clause['value'],
): Clause => ({
  kind,
  key,
  comparator,
  value,
});

describe('parseRunFilter', () => {
  // Valid filters from MLflow's tests/utils/test_search_utils.py::test_filter and friends.
  const valid: [string, Clause[]][] = [
    ['metric.acc >= 0.94', [clause('metric', 'acc', '>=', 0.94)]],
    ['metric.acc>=100', [clause('metric', 'acc', '>=', 100)]],
    ["params.m!='tf'", [clause('param', 'm', '!=', 'tf')]],
    ['params."m"!="tf"', [clause('param', 'm', '!=', 'tf')]],
    ['metric."legit name" >= 0.243', [clause('metric', 'legit name', '>=', 0.243)]],
    ['metrics.XYZ = 3', [clause('metric', 'XYZ', '=', 3)]],
    ['params."cat dog" = "pets"', [clause('param', 'cat dog', '=', 'pets')]],
    ['metrics."X-Y-Z" = 3', [clause('metric', 'X-Y-Z', '=', 3)]],
    ['metrics."X//Y#$$@&Z" = 3', [clause('metric', 'X//Y#$$@&Z', '=', 3)]],
    ["params.model = 'LinearRegression'", [clause('param', 'model', '=', 'LinearRegression')]],
    [
      "metrics.rmse < 1 and params.model_class = 'LR'",
      [clause('metric', 'rmse', '<', 1), clause('param', 'model_class', '=', 'LR')],
    ],
    ['', []],
    ['   \t ', []],
    ['`metric`.a >= 0.1', [clause('metric', 'a', '>=', 0.1)]],
    ["tags.version = 'commit-hash'", [clause('tag', 'version', '=', 'commit-hash')]],
    ["`tags`.source_name = 'a notebook'", [clause('tag', 'source_name', '=', 'a notebook')]],
    ['metrics."accuracy.2.0" > 5', [clause('metric', 'accuracy.2.0', '>', 5)]],
    ['metrics.`spacey name` > 5', [clause('metric', 'spacey name', '>', 5)]],
    ['params."p.a.r.a.m" != "a"', [clause('param', 'p.a.r.a.m', '!=', 'a')]],
    ['tags."t.a.g" = "a"', [clause('tag', 't.a.g', '=', 'a')]],
    ["attribute.artifact_uri = '1/23/4'", [clause('attribute', 'artifact_uri', '=', '1/23/4')]],
    ['attribute.start_time >= 1234', [clause('attribute', 'start_time', '>=', 1234)]],
    ["run.status = 'RUNNING'", [clause('attribute', 'status', '=', 'RUNNING')]],
    ["dataset.name = 'my_dataset'", [clause('dataset', 'name', '=', 'my_dataset')]],
    // Quote trimming (test_correct_quote_trimming).
    ["params.m = 'LR'", [clause('param', 'm', '=', 'LR')]],
    ['params.m = "LR"', [clause('param', 'm', '=', 'LR')]],
    ['params.m = "L\'Hosp"', [clause('param', 'm', '=', "L'Hosp")]],
  ];
  for (const [filter, expected] of valid) {
    it(`parses ${JSON.stringify(filter)}`, () => assert.deepEqual(parseRunFilter(filter), expected));
  }

  it('treats undefined as no filter', () => assert.deepEqual(parseRunFilter(undefined), []));

  it('accepts every prefix alias', () => {
    const filter =
      "metric.a = 1 AND metrics.b = 2 AND param.c = 'x' AND params.d = 'x' AND parameter.e = 'x' " +
      "AND parameters.f = 'x' AND tag.g = 'x' AND tags.h = 'x' AND attribute.status = 'x' " +
      "AND attributes.user_id = 'x' AND attr.run_id = 'x' AND run.run_name = 'x' " +
      "AND dataset.digest = 'x' AND datasets.context = 'x'";
    assert.deepEqual(
      parseRunFilter(filter).map((c) => `${c.kind}.${c.key}`),
      [
        'metric.a',
        'metric.b',
        'param.c',
        'param.d',
        'param.e',
        'param.f',
        'tag.g',
        'tag.h',
        'attribute.status',
        'attribute.user_id',
        'attribute.run_id',
        'attribute.run_name',
        'dataset.digest',
        'dataset.context',
      ],
    );
  });

  it('keeps dots of unquoted keys after the prefix', () => {
    assert.deepEqual(parseRunFilter("tags.mlflow.source.type = 'NOTEBOOK'"), [
      clause('tag', 'mlflow.source.type', '=', 'NOTEBOOK'),
    ]);
  });

  it('treats AND and the comparators case-insensitively', () => {
    assert.deepEqual(parseRunFilter("params.a like 'x%' aNd tags.b iLiKe '%Y' AND attributes.run_id not in ('ab')"), [
      clause('param', 'a', 'LIKE', 'x%'),
      clause('tag', 'b', 'ILIKE', '%Y'),
      clause('attribute', 'run_id', 'NOT IN', ['ab']),
    ]);
  });

  it('normalises attribute aliases to canonical names', () => {
    assert.deepEqual(parseRunFilter('created > 5 AND Created < 9 AND attributes.end_time != 3'), [
      clause('attribute', 'start_time', '>', 5),
      clause('attribute', 'start_time', '<', 9),
      clause('attribute', 'end_time', '!=', 3),
    ]);
    for (const alias of ['run name', 'Run name', 'Run Name']) {
      assert.deepEqual(parseRunFilter(`attributes.\`${alias}\` = 'best'`), [
        clause('attribute', 'run_name', '=', 'best'),
      ]);
    }
    assert.deepEqual(parseRunFilter('attributes."Run Name" LIKE \'%a\''), [
      clause('attribute', 'run_name', 'LIKE', '%a'),
    ]);
  });

  it('parses numeric literals: negative, decimal and exponent forms', () => {
    const values = parseRunFilter(
      'metrics.a > -1 AND metrics.b < 1.5 AND metrics.c >= .5 AND metrics.d <= 2. AND metrics.e = 1e3 AND metrics.f != -2.5E-2',
    ).map((c) => c.value);
    assert.deepEqual(values, [-1, 1.5, 0.5, 2, 1000, -0.025]);
  });

  it('parses IN and NOT IN lists, dropping run ids with upper-case letters', () => {
    assert.deepEqual(parseRunFilter("attributes.run_id IN ('abc', \"def\", 'GHI', 'Jk1', '12a',)"), [
      clause('attribute', 'run_id', 'IN', ['abc', 'def', '12a']),
    ]);
    assert.deepEqual(parseRunFilter("run_id IN ('abc')"), [clause('attribute', 'run_id', 'IN', ['abc'])]);
    assert.deepEqual(parseRunFilter("datasets.name IN ('name1', 'Name2') AND datasets.digest NOT IN ('d1')"), [
      clause('dataset', 'name', 'IN', ['name1', 'Name2']),
      clause('dataset', 'digest', 'NOT IN', ['d1']),
    ]);
  });

  it('keeps escapes in plain values verbatim, as MLflow does', () => {
    assert.deepEqual(parseRunFilter("params.a = 'it''s'"), [clause('param', 'a', '=', "it''s")]);
  });

  const invalid: [string, string][] = [
    // test_error_filter
    ['metric.acc >= 0.94; metrics.rmse < 1', 'Search filter contained multiple expression'],
    ['m.acc >= 0.94', "Invalid entity type 'm'"],
    ['acc >= 0.94', "Invalid attribute key 'acc'"],
    ["p.model >= 'LR'", 'Invalid entity type'],
    ['attri.x != 1', 'Invalid entity type'],
    ['a.x != 1', 'Invalid entity type'],
    ["model >= 'LR'", 'Invalid attribute key'],
    ["metrics.A > 0.1 OR params.B = 'LR'", "Invalid clause(s) in filter string: 'OR'"],
    ["metrics.A > 0.1 NAND params.B = 'LR'", 'Invalid clause(s) in filter string'],
    ["metrics.A > 0.1 AND (params.B = 'LR')", 'Invalid clause(s) in filter string'],
    ['`metrics.A > 0.1', 'Invalid clause(s) in filter string'],
    ['param`.A > 0.1', 'Invalid clause(s) in filter string'],
    ['`dummy.A > 0.1', 'Invalid clause(s) in filter string'],
    ['dummy`.A > 0.1', 'Invalid clause(s) in filter string'],
    ['attribute.start != 1', 'Invalid attribute key'],
    ['attribute.experiment_id != 1', 'Invalid attribute key'],
    ["attribute.lifecycle_stage = 'ACTIVE'", 'Invalid attribute key'],
    ['attribute.name != 1', 'Invalid attribute key'],
    ['attribute.time != 1', 'Invalid attribute key'],
    ["attribute._status != 'RUNNING'", 'Invalid attribute key'],
    ['attribute.status = true', 'Invalid clause(s) in filter string'],
    ["dataset.status = 'true'", "Invalid dataset key 'status'"],
    ["dataset.profile = 'num_rows: 10'", 'Invalid dataset key'],
    // test_error_comparison_clauses
    ["metric.model = 'LR'", "Expected numeric value type for metric. Found 'LR'"],
    ["metric.model = '5'", 'Expected numeric value type for metric'],
    ['params.acc = 5', 'Expected a quoted string value for param'],
    ['tags.acc = 5', 'Expected a quoted string value for tag'],
    ['metrics.acc != metrics.acc', 'Expected numeric value type for metric'],
    ['1.0 > metrics.acc', "Expected 'Identifier' found '1.0'"],
    ['attribute.status = 1', 'Expected a quoted string value for attributes. Got value 1'],
    // test_bad_quotes
    ['params.acc = LR', 'value is either not quoted or unidentified quote types'],
    ['tags.acc = LR', 'value is either not quoted or unidentified quote types'],
    ['params.acc = `LR`', 'value is either not quoted or unidentified quote types'],
    ["params.'acc = LR", 'Invalid clause(s) in filter string'],
    ["params.acc = 'LR", 'Invalid clause(s) in filter string'],
    ["params.acc = LR'", 'Invalid clause(s) in filter string'],
    ['params.acc = "LR\'', 'Invalid clause(s) in filter string'],
    ['tags.acc = "LR\'', 'Invalid clause(s) in filter string'],
    ["tags.acc = = 'LR'", 'Invalid clause(s) in filter string'],
    ["attribute.status IS 'RUNNING'", 'Invalid clause(s) in filter string'],
    // test_invalid_clauses
    ['params.acc LR !=', 'Invalid clause(s) in filter string'],
    ['params.acc LR', 'Invalid clause(s) in filter string'],
    ['metric.acc !=', 'Invalid clause(s) in filter string'],
    ['acc != 1.0', 'Invalid attribute key'],
    ['1=1', "Expected 'Identifier' found"],
    ['1==2', "Expected 'Identifier' found"],
    // Structure beyond plain conjunctions.
    ["NOT params.a = 'x'", 'Invalid clause(s) in filter string'],
    ["params.a = 'x' params.b = 'y'", 'Invalid clause(s) in filter string'],
    ["params.a = 'x';", "Invalid clause(s) in filter string: ';'"],
    ['run_id IN', 'Invalid clause(s) in filter string'],
    ['run_id IN (', 'Invalid clause(s) in filter string'],
    ["run_id IN 'abc'", 'Invalid clause(s) in filter string'],
    // Lists (test_search_model_versions shares these messages).
    [
      "attributes.status IN ('a')",
      "Only ['run_id'] attributes support comparison with a list of quoted string values.",
    ],
    ["run_name = ('a')", "Only ['run_id'] attributes support comparison with a list"],
    ["start_time = ('1')", "Expected numeric value type for numeric attribute: start_time. Found ('1')"],
    ["run_id = ('a')", "Invalid comparator '=' for a list of values"],
    ['run_id IS NULL', "IS NULL / IS NOT NULL is only supported for tags and params, not for 'attribute' 'run_id'"],
    ['metrics.m IS NOT NULL', "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' 'm'"],
    ['tags.t IS NOT  NULL', "Invalid clause(s) in filter string: 'tags.t', 'IS', 'NOT  NULL'"],
    ['tags.t NOT NULL', "Invalid clause(s) in filter string: 'tags.t', 'NOT NULL'"],
    ['tags.t IS', "Invalid clause(s) in filter string: 'tags.t', 'IS'"],
    ['run_id IN ()', 'expected a non-empty list of string values, but got empty list'],
    ['run_id IN (,)', 'but got ill-formed list'],
    ["run_id IN ('a',,'b')", 'but got ill-formed list'],
    ['run_id IN (1,2,3)', 'but got different type in list: (1,2,3)'],
    ["params.a IN ('x')", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('x')"],
    ["metrics.a IN ('x')", 'Expected numeric value type for metric'],
    ['datasets.name = 1', 'Expected a quoted string value for dataset attributes. Got value 1'],
    ["attributes.start_time = '5'", "Expected numeric value type for numeric attribute: start_time. Found '5'"],
    ["created = 'x'", 'Expected numeric value type for numeric attribute: created'],
  ];
  for (const [filter, message] of invalid) {
    it(`rejects ${JSON.stringify(filter)}`, () => assertSyntaxError(() => parseRunFilter(filter), message));
  }

  // test_bad_comparators
  const badComparators: [string, string[], string, string][] = [
    ['metrics', ['~', '~=', 'LIKE', 'ILIKE'], 'abc', '1.0'],
    ['params', ['>', '<', '>=', '<=', '~', '==', '<>', 'NOT LIKE', 'RLIKE'], 'abc', "'my-param-value'"],
    ['tags', ['>', '<', '>=', '<=', '~'], 'abc', "'my-tag-value'"],
    ['attributes', ['>', '<', '>=', '<=', '~'], 'status', "'my-tag-value'"],
    ['attributes', ['LIKE', 'ILIKE'], 'start_time', '1234'],
    ['datasets', ['>', '<', '>=', '<=', '~'], 'name', "'my-dataset-name'"],
  ];
  for (const [prefix, comparators, key, value] of badComparators) {
    for (const comparator of comparators) {
      const filter = `${prefix}.${key} ${comparator} ${value}`;
      it(`rejects comparator in ${JSON.stringify(filter)}`, () =>
        assertSyntaxError(() => parseRunFilter(filter), 'Invalid comparator'));
    }
  }

  it('parses IS NULL and IS NOT NULL on tags and params, in any case', () => {
    assert.deepEqual(parseRunFilter('tags.team IS NULL AND params.lr is not null'), [
      clause('tag', 'team', 'IS NULL', null),
      clause('param', 'lr', 'IS NOT NULL', null),
    ]);
  });

  it('words comparator refusals per clause kind, as MLflow does', () => {
    assertSyntaxError(
      () => parseRunFilter('metrics.m LIKE 1'),
      "Invalid comparator 'LIKE' not one of '{'!=', '<', '<=', '=', '>', '>='}",
    );
    assertSyntaxError(
      () => parseRunFilter('start_time LIKE 1'),
      "Invalid comparator 'LIKE' not one of '{'!=', '=', 'ILIKE', 'IN', 'LIKE', 'NOT IN'}",
    );
    assertSyntaxError(
      () => parseRunFilter("metrics.m IS NULL AND params.p > 'a'"),
      'only supported for tags and params',
    );
  });

  it('rejects IN lists on params', () => {
    assertSyntaxError(() => parseRunFilter("params.abc IN ('x')"), 'Expected a quoted string value for parameter');
  });

  it('reports value errors before comparator errors, like MLflow', () => {
    assertSyntaxError(
      () => parseRunFilter("params.a > 'x' AND metrics.b = 'y'"),
      'Expected numeric value type for metric',
    );
  });

  it('names the offending comparator and the allowed ones', () => {
    assertSyntaxError(
      () => parseRunFilter("params.a > 'x'"),
      "Invalid comparator '>' not one of '{'!=', '=', 'ILIKE', 'IS NOT NULL', 'IS NULL', 'LIKE'}'",
    );
  });

  it('lists the valid attribute keys', () => {
    assertSyntaxError(
      () => parseRunFilter("foo = 'x'"),
      "Invalid attribute key 'foo' specified. Valid keys are '{'Created', 'Run Name', 'Run name', 'artifact_uri', 'created', " +
        "'end_time', 'run name', 'run_id', 'run_name', 'start_time', 'status', 'user_id'}'",
    );
  });

  it('throws SearchSyntaxError carrying INVALID_PARAMETER_VALUE', () => {
    try {
      parseRunFilter('m.acc > 1');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof SearchSyntaxError);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'SearchSyntaxError');
      assert.equal(error.errorCode, 'INVALID_PARAMETER_VALUE');
    }
  });
});

describe('parseExperimentFilter', () => {
  const valid: [string, Clause[]][] = [
    ["name = 'Default'", [clause('attribute', 'name', '=', 'Default')]],
    ["attribute.name LIKE 'exp%'", [clause('attribute', 'name', 'LIKE', 'exp%')]],
    ['name ILIKE "%A%"', [clause('attribute', 'name', 'ILIKE', '%A%')]],
    ['creation_time > 1000', [clause('attribute', 'creation_time', '>', 1000)]],
    ['last_update_time <= 5', [clause('attribute', 'last_update_time', '<=', 5)]],
    ["tags.key = 'value'", [clause('tag', 'key', '=', 'value')]],
    ["tag.`mlflow.note.content` ILIKE '%x%'", [clause('tag', 'mlflow.note.content', 'ILIKE', '%x%')]],
    ["experiment_id = '1'", [clause('attribute', 'experiment_id', '=', '1')]],
    ["attribute.experiment_id != '2'", [clause('attribute', 'experiment_id', '!=', '2')]],
    ["experiment_id IN ('1', '2')", [clause('attribute', 'experiment_id', 'IN', ['1', '2'])]],
    ["experiment_id NOT IN ('3')", [clause('attribute', 'experiment_id', 'NOT IN', ['3'])]],
    ['tags.team IS NULL', [clause('tag', 'team', 'IS NULL', null)]],
    ['tags.`a.b` is not null', [clause('tag', 'a.b', 'IS NOT NULL', null)]],
    [
      "name != 'a' AND tags.k LIKE 'v%' and creation_time >= 0",
      [
        clause('attribute', 'name', '!=', 'a'),
        clause('tag', 'k', 'LIKE', 'v%'),
        clause('attribute', 'creation_time', '>=', 0),
      ],
    ],
  ];
  for (const [filter, expected] of valid) {
    it(`parses ${JSON.stringify(filter)}`, () => assert.deepEqual(parseExperimentFilter(filter), expected));
  }

  const invalid: [string, string][] = [
    ["attributes.name = 'a'", "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"],
    ["params.a = 'x'", "Invalid entity type 'params'"],
    ['metrics.a > 1', "Invalid entity type 'metrics'"],
    ["run_id = 'x'", "Invalid attribute key 'run_id'"],
    ["lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"],
    ["name > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'ILIKE', 'IN', 'LIKE', 'NOT IN'}'"],
    ["name like 'a'", "Invalid comparator 'like' not one of"],
    ["tags.a like 'b'", 'Invalid comparator for tag: like'],
    ["experiment_id < '1'", 'Invalid comparator for experiment_id: <'],
    ["experiment_id in ('1')", 'Invalid comparator for experiment_id: in'],
    ["experiment_id = 'abc'", "Invalid experiment ID 'abc'. Experiment ID must be a valid integer."],
    ["experiment_id IN ('1', 'x')", "Invalid experiment ID 'x'"],
    ['experiment_id = 1', 'Expected a quoted string value for attributes. Got value 1'],
    ['creation_time > 1.5', "Invalid value for numeric attribute 'creation_time': '1.5'"],
    ['creation_time > 1e3', "Invalid value for numeric attribute 'creation_time': '1000.0'"],
    ['name IS NULL', "IS NULL / IS NOT NULL is only supported for tags, not for attribute 'name'"],
    ["creation_time LIKE '1%'", 'Expected numeric value type for numeric attribute: creation_time'],
    ['creation_time LIKE 1', "Invalid comparator 'LIKE'"],
    ["tags.a > 'b'", 'Invalid comparator for tag: >'],
    ['name = 1', 'Expected a quoted string value for attributes. Got value 1'],
    ["name IN ('a')", "Only ['experiment_id'] attributes support comparison with a list of quoted string values."],
    ["name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string: OR'],
    ['name = something', 'Parameter value is either not quoted'],
  ];
  for (const [filter, message] of invalid) {
    it(`rejects ${JSON.stringify(filter)}`, () => assertSyntaxError(() => parseExperimentFilter(filter), message));
  }
});

describe('parseLoggedModelFilter', () => {
  it('parses metrics, params, tags and attributes', () => {
    assert.deepEqual(
      parseLoggedModelFilter(
        "metrics.accuracy > 0.9 AND params.lr = '0.01' AND tags.team = 'x' AND name LIKE 'm%' AND status = 'READY'",
      ),
      [
        clause('metric', 'accuracy', '>', 0.9),
        clause('param', 'lr', '=', '0.01'),
        clause('tag', 'team', '=', 'x'),
        clause('attribute', 'name', 'LIKE', 'm%'),
        clause('attribute', 'status', '=', 'READY'),
      ],
    );
  });

  it('normalises time aliases to the *_timestamp attributes', () => {
    assert.deepEqual(
      parseLoggedModelFilter('creation_time > 5 AND last_updated_time < 9 AND creation_timestamp >= 1'),
      [
        clause('attribute', 'creation_timestamp', '>', 5),
        clause('attribute', 'last_updated_timestamp', '<', 9),
        clause('attribute', 'creation_timestamp', '>=', 1),
      ],
    );
  });

  it('accepts IN lists on string attributes, filtering mixed-case ids only', () => {
    assert.deepEqual(
      parseLoggedModelFilter("model_id IN ('m-abc', 'M-ABC') AND name NOT IN ('MyModel') AND source_run_id IN ('r1')"),
      [
        clause('attribute', 'model_id', 'IN', ['m-abc']),
        clause('attribute', 'name', 'NOT IN', ['MyModel']),
        clause('attribute', 'source_run_id', 'IN', ['r1']),
      ],
    );
  });

  const invalid: [string, string][] = [
    ["datasets.name = 'x'", "Invalid entity type 'datasets'"],
    ["run_id = 'x'", "Invalid attribute key 'run_id'"],
    ["metrics.acc = 'x'", 'Expected numeric value type for metric'],
    ['params.lr = 0.01', 'Expected a quoted string value for parameter'],
    ["creation_time = 'x'", 'Expected numeric value type for numeric attribute: creation_time'],
    ["metrics.acc LIKE '1'", 'Expected numeric value type for metric'],
    ['metrics.acc LIKE 1', "Invalid comparator 'LIKE'"],
    ["name > 'x'", "Invalid comparator '>'"],
    ["creation_timestamp IN ('1')", 'Expected numeric value type for numeric attribute'],
    ['metrics.a > 1 OR metrics.b > 1', "Invalid clause(s) in filter string: 'OR'"],
  ];
  for (const [filter, message] of invalid) {
    it(`rejects ${JSON.stringify(filter)}`, () => assertSyntaxError(() => parseLoggedModelFilter(filter), message));
  }
});

describe('parseRegisteredModelFilter', () => {
  // Cases from tests/store/model_registry/test_sqlalchemy_store.py::test_search_registered_models*.
  const valid: [string, Clause[]][] = [
    ["name='test_for_search_RM1'", [clause('attribute', 'name', '=', 'test_for_search_RM1')]],
    ["name LIKE '_e%'", [clause('attribute', 'name', 'LIKE', '_e%')]],
    ["name lIkE '%blah%'", [clause('attribute', 'name', 'LIKE', '%blah%')]],
    ["name iLike '%%'", [clause('attribute', 'name', 'ILIKE', '%%')]],
    ["tag.t3 = 'XYZ'", [clause('tag', 't3', '=', 'XYZ')]],
    ["name = 'm' and tag.t1 = 'abc'", [clause('attribute', 'name', '=', 'm'), clause('tag', 't1', '=', 'abc')]],
    ["tags.`mlflow.prompt.is_prompt` = 'true'", [clause('tag', 'mlflow.prompt.is_prompt', '=', 'true')]],
    ["attribute.name != 'x'", [clause('attribute', 'name', '!=', 'x')]],
    ["name IN ('a', 'b')", [clause('attribute', 'name', 'IN', ['a', 'b'])]],
    ["name NOT IN ('a')", [clause('attribute', 'name', 'NOT IN', ['a'])]],
  ];
  for (const [filter, expected] of valid) {
    it(`parses ${JSON.stringify(filter)}`, () => assert.deepEqual(parseRegisteredModelFilter(filter), expected));
  }

  const invalid: [string, string][] = [
    [
      'name!=something',
      'Parameter value is either not quoted or unidentified quote types used for string value something',
    ],
    ["run_id='somerunID'", "Invalid attribute key 'run_id' specified."],
    ["source_path = 'A/D'", "Invalid attribute key 'source_path' specified."],
    ['evilhax = true', 'Invalid clause(s) in filter string'],
    ["name > 'a'", 'Invalid comparator for attribute: >'],
    ["tags.a >= 'b'", 'Invalid comparator for tag: >='],
    ['name = 1', 'Expected a quoted string value or a list of quoted string values for attributes. Got value 1'],
    ['metrics.a > 1', "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"],
    ["tags.a IN ('x')", "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('x')"],
    // The registry stores check the key before unquoting it.
    ["`name` = 'a'", "Invalid attribute key '`name`' specified. Valid keys are '{'name'}'"],
    ['tags.t IS NULL', 'Invalid clause(s) in filter string: tags.t, IS, NULL'],
    ["name < ('a')", 'Invalid comparator for attribute: <'],
    ["name = ('a')", "Invalid comparator '=' for a list of values"],
  ];
  for (const [filter, message] of invalid) {
    it(`rejects ${JSON.stringify(filter)}`, () => assertSyntaxError(() => parseRegisteredModelFilter(filter), message));
  }
});

describe('parseModelVersionFilter', () => {
  const runId1 = 'a'.repeat(32);
  const runId2 = 'b'.repeat(32);
  // Cases from tests/store/model_registry/test_sqlalchemy_store.py::test_search_model_versions*.
  const valid: [string, Clause[]][] = [
    ["name='test_for_search_MV'", [clause('attribute', 'name', '=', 'test_for_search_MV')]],
    ['version_number=2', [clause('attribute', 'version_number', '=', 2)]],
    ['version_number<=3', [clause('attribute', 'version_number', '<=', 3)]],
    ["version_number = '4'", [clause('attribute', 'version_number', '=', 4)]],
    [`run_id='${runId1}'`, [clause('attribute', 'run_id', '=', runId1)]],
    [`run_id IN ('${runId1}','${runId2}')`, [clause('attribute', 'run_id', 'IN', [runId1, runId2])]],
    [`run_id IN ('${runId1.toUpperCase()}','${runId2}')`, [clause('attribute', 'run_id', 'IN', [runId2])]],
    [`run_id IN ('${runId1}', '${runId2}')`, [clause('attribute', 'run_id', 'IN', [runId1, runId2])]],
    [`run_id NOT IN ('${runId1}')`, [clause('attribute', 'run_id', 'NOT IN', [runId1])]],
    ["name IN ('a', 'B')", [clause('attribute', 'name', 'IN', ['a', 'B'])]],
    ["name NOT IN ('a')", [clause('attribute', 'name', 'NOT IN', ['a'])]],
    [`run_id LIKE '${runId2.slice(0, 30)}%'`, [clause('attribute', 'run_id', 'LIKE', `${runId2.slice(0, 30)}%`)]],
    ["source_path = 'A/D'", [clause('attribute', 'source_path', '=', 'A/D')]],
    ["source_path = ''", [clause('attribute', 'source_path', '=', '')]],
    ["tag.`t2` = 'xyz'", [clause('tag', 't2', '=', 'xyz')]],
    ["tag.t2 like 'x%' and tag.t2 != 'xyz'", [clause('tag', 't2', 'LIKE', 'x%'), clause('tag', 't2', '!=', 'xyz')]],
  ];
  for (const [filter, expected] of valid) {
    it(`parses ${JSON.stringify(filter)}`, () => assert.deepEqual(parseModelVersionFilter(filter), expected));
  }

  const invalid: [string, string][] = [
    [
      'run_id IN (1,2,3)',
      'While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list',
    ],
    [
      'run_id IN ()',
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    ],
    ['run_id IN (', 'Invalid clause(s) in filter string'],
    ['run_id IN', 'Invalid clause(s) in filter string'],
    ['name LIKE', 'Invalid clause(s) in filter string'],
    ['run_id IN (,)', 'expected a non-empty list of string values, but got ill-formed list'],
    ["run_id IN ('runid1',,'runid2')", 'expected a non-empty list of string values, but got ill-formed list'],
    [
      "source_path IN ('a')",
      "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values.",
    ],
    ["version_number LIKE '1'", 'Invalid comparator for attribute version_number: LIKE'],
    ["version_number = 'abc'", 'Expected numeric value type for numeric attribute: version_number'],
    ['name = 5', "Only the '['version_number']' attributes support comparison with numeric values."],
    ['creation_timestamp > 1', "Invalid attribute key 'creation_timestamp'"],
    ["tags.t > 'x'", 'Invalid comparator for tag: >'],
    ["params.p = 'x'", "Invalid entity type 'params'"],
  ];
  for (const [filter, message] of invalid) {
    it(`rejects ${JSON.stringify(filter)}`, () => assertSyntaxError(() => parseModelVersionFilter(filter), message));
  }
});
