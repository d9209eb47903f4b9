import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMAND_TOPICS, PUBLISHED_TOPICS } from './catalog';
import { EVENTS_DOC_COMMAND, EVENTS_DOC_PATH, renderEventsDoc } from './events-doc';
import { WEBHOOK_PAYLOADS } from './webhooks';

describe('docs/events.md', () => {
  const generated = renderEventsDoc(PUBLISHED_TOPICS, COMMAND_TOPICS, WEBHOOK_PAYLOADS);

  it('is what the contracts generate now', () => {
    const current = existsSync(EVENTS_DOC_PATH) ? readFileSync(EVENTS_DOC_PATH, 'utf8') : '';
    assert.ok(
      current === generated,
      `docs/events.md is not current with libs/contracts: run \`${EVENTS_DOC_COMMAND}\` and commit the result`,
    );
  });

  it('lists every topic with its key, and every event with its version and every field', () => {
    for (const topic of PUBLISHED_TOPICS) {
      assert.ok(generated.includes(`## ${topic.name}\n`), topic.name);
      assert.ok(generated.includes(`Key: ${topic.key}.`), topic.key);
      for (const event of topic.events) {
        const start = generated.indexOf(`### ${event.name} (schemaVersion ${event.schemaVersion})`);
        assert.ok(start >= 0, event.name);
        const section = generated.slice(start, generated.indexOf('Example `data`', start));
        for (const [name, { description: meaning = '' }] of Object.entries(event.data.shape)) {
          assert.ok(meaning !== '', `${event.name}.${name} has no meaning: give it one with .describe()`);
          assert.match(
            section,
            new RegExp(`\\| \`${name}\`.*\\| ${meaning.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\|`),
          );
        }
      }
    }
  });

  it('lists every webhook payload with its flavour, meaning and example body', () => {
    const section = generated.slice(generated.indexOf('# Webhook payloads'));
    for (const payload of WEBHOOK_PAYLOADS) {
      assert.ok(section.includes(`| \`${payload.event}\` |`), payload.event);
      assert.ok(section.includes(payload.meaning), payload.meaning);
      assert.ok(section.includes(JSON.stringify(payload.example, null, 2)), `${payload.event} example`);
    }
  });
});
