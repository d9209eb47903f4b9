import assert from 'node:assert/strict';
import { SearchSyntaxError } from '@logbook/search';

/** Asserts that `fn` throws a SearchSyntaxError whose message contains `fragment`. */
export function assertSyntaxError(fn: () => unknown, fragment: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SearchSyntaxError, `expected SearchSyntaxError, got ${String(error)}`);
    assert.ok(error.message.includes(fragment), `"${error.message}" does not contain "${fragment}"`);
    return true;
  });
}
