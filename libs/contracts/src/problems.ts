import { z } from 'zod';

type Issue = z.core.$ZodIssue | z.core.$ZodRawIssue;

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A bound on a string or an array is on its length. */
function lengthOf(origin: string): string {
  return origin === 'string' || origin === 'array' ? 'of length ' : '';
}

/** What a value had to be (`must be …`), in the words of docs/events.md; undefined keeps zod's own message. */
function expectation(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return withArticle(issue.expected === 'int' ? 'integer' : issue.expected);
    case 'invalid_value':
      return `one of ${issue.values.join(', ')}`;
    case 'too_small':
      return `${lengthOf(issue.origin)}${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `${lengthOf(issue.origin)}${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_union':
      return issue.errors.map(([first]) => (first && expectation(first)) ?? 'another shape').join(' or ');
    default:
      return undefined;
  }
}

/** A required field that is absent: zod checks it as `undefined` against its type, its values or its options. */
function isMissing(issue: z.core.$ZodRawIssue): boolean {
  return ['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code) && issue.input === undefined;
}

/** The contracts' error map: `is required` for a missing field, `must be …` for a wrong one. */
const problemMessage: z.core.$ZodErrorMap = (issue) => {
  if (isMissing(issue)) return 'is required';
  if (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1) return 'must not be empty';
  const expected = expectation(issue);
  return expected === undefined ? undefined : `must be ${expected}`;
};

/** `a.b[0].c`: where in the value a problem is. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('');
}

/** Problems of `value` against `schema`, each as `path: what is wrong`; none when it conforms. */
export function problemsOf(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value, { error: problemMessage });
  return result.success ? [] : result.error.issues.map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
}
