import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { metricsRegistry } from '@logbook/platform';
// The modules that register the gateway's and the webhook worker's metrics.
import '../../services/gateway/src/upstream-pool';
import '../../services/registry/src/webhooks/delivery/delivery-metrics';

const DEPLOY = join(__dirname, '../../../deploy');

/** Metric names an expression reads, without the series suffixes of a histogram. */
function metricsIn(expression: string): string[] {
  const names = expression.match(/\b(logbook|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|count|sum)$/, ''));
}

describe('the Grafana dashboard and the alerting rules', () => {
  it('read only metrics the processes export', () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/logbook-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const rules = parse(readFileSync(join(DEPLOY, 'prometheus/logbook-alerts.yaml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const expressions = [
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => [panel.title, target.expr])),
      ...rules.groups.flatMap((group) => group.rules.map((rule) => [rule.alert, rule.expr])),
    ];
    assert.ok(expressions.length > 20);
    const unknown = expressions.flatMap(([where, expression]) =>
      metricsIn(expression)
        .filter((name) => metricsRegistry.getSingleMetric(name) === undefined)
        .map((name) => `${where}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });
});
