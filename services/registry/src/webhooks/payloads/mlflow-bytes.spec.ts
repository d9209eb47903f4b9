import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REGISTRY_TOPICS } from '@logbook/contracts';
import { EventEnvelope } from '@logbook/eventstore';
import { MLFLOW_WEBHOOK_EVENTS } from '../webhook-catalog';
import { exampleOccurrence } from './example-occurrences';
import { webhookOccurrences } from './webhook-occurrences';

/**
 * Checks the MLflow flavour's bodies against MLflow 3.17 itself, when its Python package is installed
 * (the compatibility suite's venv, `.logbook/venv`, or LOGBOOK_UI_PYTHON): MLflow's test payloads as
 * its own code writes them, and every body as Python's json.dumps writes the value it holds.
 */
const REPO = resolve(__dirname, '../../../../../..');
const candidates = [process.env.LOGBOOK_UI_PYTHON, resolve(REPO, '.logbook/venv/bin/python')];
const python = candidates.find(
  (candidate) =>
    candidate !== undefined &&
    spawnSync(candidate, ['-c', 'import mlflow.webhooks.types'], { stdio: 'ignore' }).status === 0,
);

const MLFLOW_SIDE = `
import datetime, json, sys
from mlflow.webhooks.types import EVENT_TO_PAYLOAD_CLASS
given = json.load(sys.stdin)
at = datetime.datetime.fromtimestamp(given["now"] / 1000, tz=datetime.timezone.utc).isoformat()
examples = {
    f"{entity.value}.{action.value}": json.dumps(
        {"entity": entity.value, "action": action.value, "timestamp": at, "data": payload.example()}
    )
    for (entity, action), payload in EVENT_TO_PAYLOAD_CLASS.items()
}
rewritten = [json.dumps(json.loads(body)) for body in given["bodies"]]
print(json.dumps({"examples": examples, "rewritten": rewritten}))
`;

function mlflowSays(now: number, bodies: string[]): { examples: Record<string, string>; rewritten: string[] } {
  const run = spawnSync(python as string, ['-c', MLFLOW_SIDE], {
    input: JSON.stringify({ now, bodies }),
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

const awkwardTags = [
  { key: 'team', value: 'risk' },
  { key: '10', value: 'ünïcødé 😀 \u2028' },
  { key: 'quote', value: 'a"b\\c\n\x7f' },
];

function bodiesOfEveryExample(): string[] {
  return REGISTRY_TOPICS.flatMap((topic) => topic.events).flatMap((contract) =>
    [false, true].flatMap((isPrompt) => {
      const data = { ...(contract.example as Record<string, unknown>) };
      if ('tags' in data) data.tags = awkwardTags;
      const event = {
        eventId: '5d0c8a4e-2b1f-4e6a-9c3d-7f8e9a0b1c2d',
        type: contract.name,
        occurredAt: '2026-12-04T18:00:00.120Z',
        actor: { id: '7', kind: 'user', name: 'ädä', authMethod: 'basic' },
        correlationId: 'req-1',
        data,
      } as EventEnvelope;
      return webhookOccurrences(event, { isPrompt })
        .filter((occurrence) => occurrence.flavor === 'mlflow')
        .map((occurrence) => occurrence.body('wh-1'));
    }),
  );
}

describe(
  'MLflow webhook bodies, checked by MLflow 3.17 itself',
  { skip: !python && 'no Python with mlflow 3.17' },
  () => {
    it("test deliveries are byte for byte MLflow's test payloads", () => {
      const now = 1764864000250;
      const { examples } = mlflowSays(now, []);
      assert.deepEqual(Object.keys(examples).sort(), [...MLFLOW_WEBHOOK_EVENTS].sort());
      for (const key of MLFLOW_WEBHOOK_EVENTS) {
        assert.equal(exampleOccurrence('mlflow', key, now).body('wh-1'), examples[key], key);
      }
    });

    it('every body of every registry event is the text json.dumps gives its value', () => {
      const bodies = bodiesOfEveryExample();
      assert.ok(bodies.length > 30);
      assert.deepEqual(mlflowSays(0, bodies).rewritten, bodies);
    });
  },
);
