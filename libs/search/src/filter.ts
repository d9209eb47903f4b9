import { Token, isQuoted, scanQuoted, stripQuotes, tokenize, trimBackticks } from './tokens';

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';
export type ClauseKind = 'attribute' | 'metric' | 'param' | 'tag' | 'dataset';

export interface Clause {
  kind: ClauseKind;
  key: string;
  comparator: Comparator;
  value: string | number | string[];
}

/** A filter or order_by the user got wrong; maps to 400 INVALID_PARAMETER_VALUE. */
export class SearchSyntaxError extends Error {
  readonly errorCode = 'INVALID_PARAMETER_VALUE';

  constructor(message: string) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

type AttributeType = 'string' | 'number';

/** What one search endpoint accepts; the parsing machinery is shared. */
export interface EntitySpec {
  prefixes: ReadonlyMap<string, ClauseKind>;
  /** Runs and logged models accept `metric`.x; the others compare the raw prefix. */
  trimPrefixBackticks: boolean;
  invalidPrefixMessage(prefix: string): string;
  /** Searchable attribute keys, aliases included. */
  attributes: ReadonlyMap<string, AttributeType>;
  aliases: ReadonlyMap<string, string>;
  /** Canonical string attributes that may be compared with a list. */
  listAttributes: ReadonlySet<string>;
  comparators(kind: ClauseKind, key: string, type: AttributeType | undefined): readonly string[];
  /** The registry stores word their errors differently from the tracking stores. */
  registryMessages: boolean;
  /** Whether 'Invalid clause(s)' quotes each offending token (MLflow differs per entity). */
  quoteInvalidClauses: boolean;
}

const NUMERIC = ['=', '!=', '<', '<=', '>', '>='] as const;
const STRING = ['=', '!=', 'LIKE', 'ILIKE'] as const;
const STRING_OR_LIST = [...STRING, 'IN', 'NOT IN'] as const;
const DATASET_KEYS = new Set(['name', 'digest', 'context']);
// IDs are stored lower-case; MLflow drops mixed-case list values because MySQL's IN ignores case.
const LOWER_CASE_ID_KEYS = new Set(['run_id', 'source_run_id', 'model_id']);

const RUN_PREFIXES: [string, ClauseKind][] = [
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['parameter', 'param'],
  ['parameters', 'param'],
  ['param', 'param'],
  ['params', 'param'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
  ['dataset', 'dataset'],
  ['datasets', 'dataset'],
];
const ATTRIBUTE_OR_TAG_PREFIXES = new Map<string, ClauseKind>([
  ['attribute', 'attribute'],
  ['tag', 'tag'],
  ['tags', 'tag'],
]);

export function formatList(items: Iterable<string>): string {
  return `[${[...items].map((item) => `'${item}'`).join(', ')}]`;
}

function attributeOrTagPrefixMessage(prefix: string): string {
  return `Invalid entity type '${prefix}'. Valid entity types are ('attribute', 'tag', 'tags')`;
}

function trackingComparators(kind: ClauseKind, _key: string, type: AttributeType | undefined): readonly string[] {
  if (kind === 'metric' || type === 'number') return NUMERIC;
  if (kind === 'param' || kind === 'tag') return STRING;
  return STRING_OR_LIST;
}

export const RUN_SPEC: EntitySpec = {
  prefixes: new Map(RUN_PREFIXES),
  trimPrefixBackticks: true,
  invalidPrefixMessage: (prefix) =>
    `Invalid entity type '${prefix}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
  attributes: new Map<string, AttributeType>([
    ['run_id', 'string'],
    ['run_name', 'string'],
    ['user_id', 'string'],
    ['status', 'string'],
    ['artifact_uri', 'string'],
    ['start_time', 'number'],
    ['end_time', 'number'],
    ['created', 'number'],
    ['Created', 'number'],
    ['run name', 'string'],
    ['Run name', 'string'],
    ['Run Name', 'string'],
  ]),
  aliases: new Map([
    ['created', 'start_time'],
    ['Created', 'start_time'],
    ['run name', 'run_name'],
    ['Run name', 'run_name'],
    ['Run Name', 'run_name'],
  ]),
  listAttributes: new Set(['run_id']),
  comparators: trackingComparators,
  registryMessages: false,
  quoteInvalidClauses: true,
};

export const EXPERIMENT_SPEC: EntitySpec = {
  prefixes: ATTRIBUTE_OR_TAG_PREFIXES,
  trimPrefixBackticks: false,
  invalidPrefixMessage: attributeOrTagPrefixMessage,
  attributes: new Map<string, AttributeType>([
    ['name', 'string'],
    ['creation_time', 'number'],
    ['last_update_time', 'number'],
  ]),
  aliases: new Map(),
  listAttributes: new Set(),
  comparators: (kind, _key, type) => (kind === 'attribute' && type === 'number' ? NUMERIC : STRING),
  registryMessages: false,
  quoteInvalidClauses: false,
};

export const LOGGED_MODEL_SPEC: EntitySpec = {
  prefixes: new Map(RUN_PREFIXES.filter(([, kind]) => kind !== 'dataset')),
  trimPrefixBackticks: true,
  invalidPrefixMessage: (prefix) =>
    `Invalid entity type '${prefix}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`,
  attributes: new Map<string, AttributeType>([
    ['name', 'string'],
    ['model_id', 'string'],
    ['model_type', 'string'],
    ['status', 'string'],
    ['source_run_id', 'string'],
    ['creation_timestamp', 'number'],
    ['creation_time', 'number'],
    ['last_updated_timestamp', 'number'],
    ['last_updated_time', 'number'],
  ]),
  aliases: new Map([
    ['creation_time', 'creation_timestamp'],
    ['last_updated_time', 'last_updated_timestamp'],
  ]),
  listAttributes: new Set(['name', 'model_id', 'model_type', 'status', 'source_run_id']),
  comparators: trackingComparators,
  registryMessages: false,
  quoteInvalidClauses: true,
};

export const REGISTERED_MODEL_SPEC: EntitySpec = {
  prefixes: ATTRIBUTE_OR_TAG_PREFIXES,
  trimPrefixBackticks: false,
  invalidPrefixMessage: attributeOrTagPrefixMessage,
  attributes: new Map<string, AttributeType>([['name', 'string']]),
  aliases: new Map(),
  listAttributes: new Set(['name']),
  comparators: (kind) => (kind === 'attribute' ? STRING_OR_LIST : STRING),
  registryMessages: true,
  quoteInvalidClauses: false,
};

export const MODEL_VERSION_SPEC: EntitySpec = {
  prefixes: ATTRIBUTE_OR_TAG_PREFIXES,
  trimPrefixBackticks: false,
  invalidPrefixMessage: attributeOrTagPrefixMessage,
  attributes: new Map<string, AttributeType>([
    ['name', 'string'],
    ['run_id', 'string'],
    ['source_path', 'string'],
    ['version_number', 'number'],
  ]),
  aliases: new Map(),
  listAttributes: new Set(['name', 'run_id']),
  comparators: (kind, _key, type) => {
    if (kind !== 'attribute') return STRING;
    return type === 'number' ? NUMERIC : STRING_OR_LIST;
  },
  registryMessages: true,
  quoteInvalidClauses: false,
};

export interface ResolvedIdentifier {
  kind: ClauseKind;
  /** The key as written, quotes removed. */
  key: string;
  /** The key with attribute aliases (created, "Run name", ...) resolved. */
  canonicalKey: string;
}

/** Splits `prefix.key` (or a bare attribute key) and validates it against `spec`. */
export function resolveIdentifier(
  text: string,
  spec: EntitySpec,
  validAttributes: Iterable<string>,
): ResolvedIdentifier {
  const dot = text.indexOf('.');
  let kind: ClauseKind = 'attribute';
  if (dot >= 0) {
    const rawPrefix = text.slice(0, dot);
    const prefix = spec.trimPrefixBackticks ? trimBackticks(rawPrefix) : rawPrefix;
    const resolved = spec.prefixes.get(prefix);
    if (resolved === undefined) throw new SearchSyntaxError(spec.invalidPrefixMessage(prefix));
    kind = resolved;
  }
  const key = trimBackticks(stripQuotes(dot >= 0 ? text.slice(dot + 1) : text));
  const attributes = new Set(validAttributes);
  if (kind === 'attribute' && !attributes.has(key)) {
    throw new SearchSyntaxError(
      `Invalid attribute key '${key}' specified. Valid keys are '${formatList([...attributes].sort())}'`,
    );
  }
  if (kind === 'dataset' && !DATASET_KEYS.has(key)) {
    throw new SearchSyntaxError(
      `Invalid dataset key '${key}' specified. Valid keys are '${formatList([...DATASET_KEYS].sort())}'`,
    );
  }
  return { kind, key, canonicalKey: kind === 'attribute' ? (spec.aliases.get(key) ?? key) : key };
}

interface RawComparison {
  left: Token;
  operator: string;
  right: Token;
}

const isOperand = (token: Token | undefined): token is Token =>
  token?.kind === 'ident' || token?.kind === 'string' || token?.kind === 'number';

function matchComparison(tokens: Token[], start: number): { comparison: RawComparison; next: number } | undefined {
  const [left, second, third, fourth] = tokens.slice(start, start + 4);
  if (!isOperand(left) || second === undefined) return undefined;
  if (second.kind === 'op' && isOperand(third)) {
    return { comparison: { left, operator: second.value, right: third }, next: start + 3 };
  }
  if (left.kind !== 'ident') return undefined;
  if (second.value === 'IN' && second.kind === 'keyword' && third?.kind === 'list') {
    return { comparison: { left, operator: 'IN', right: third }, next: start + 3 };
  }
  if (second.value === 'NOT' && third?.value === 'IN' && third.kind === 'keyword' && fourth?.kind === 'list') {
    return { comparison: { left, operator: 'NOT IN', right: fourth }, next: start + 4 };
  }
  return undefined;
}

/** Groups tokens into `<operand> <comparator> <operand>` triples joined by AND. */
function groupComparisons(tokens: Token[], quoteInvalid: boolean): RawComparison[] {
  const comparisons: RawComparison[] = [];
  const invalid: Token[] = [];
  let expectAnd = false;
  for (let i = 0; i < tokens.length;) {
    const token = tokens[i];
    if (token.kind === 'keyword' && token.value === 'AND') {
      expectAnd = false;
      i++;
      continue;
    }
    const match = expectAnd ? undefined : matchComparison(tokens, i);
    if (match) {
      comparisons.push(match.comparison);
      expectAnd = true;
      i = match.next;
    } else {
      invalid.push(token);
      expectAnd = false;
      i++;
    }
  }
  if (invalid.length > 0) {
    const clauses = invalid.map((token) => (quoteInvalid ? `'${token.text}'` : token.text)).join(', ');
    throw new SearchSyntaxError(`Invalid clause(s) in filter string: ${clauses}`);
  }
  return comparisons;
}

function quotedString(token: Token): string {
  if (isQuoted(token.text, "'") || isQuoted(token.text, '"')) return stripQuotes(token.text);
  throw new SearchSyntaxError(
    `Parameter value is either not quoted or unidentified quote types used for string value ${token.text}. ` +
      'Use either single or double quotes.',
  );
}

/** Decodes a Python string literal, as `ast.literal_eval` does for IN lists. */
function pythonString(text: string): string {
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
  const quote = text[0];
  const body = text.slice(1, -1);
  let result = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\' && i + 1 < body.length) {
      const next = body[++i];
      result += escapes[next] ?? `\\${next}`;
    } else if (ch === quote) {
      i++; // 'a''b' is two adjacent literals, concatenated
    } else {
      result += ch;
    }
  }
  return result;
}

function isPythonString(token: Token): boolean {
  return token.kind === 'string' || (token.text.startsWith('"') && scanQuoted(token.text, 0) === token.text.length);
}

/** Parses `('a', "b", )` the way MLflow's `ast.literal_eval` call does. */
function parseList(token: Token): string[] {
  const illFormed =
    'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.';
  const items: Token[] = [];
  let expectItem = true;
  for (const part of tokenize(token.text.slice(1, -1))) {
    const isComma = part.kind === 'punct' && part.text === ',';
    if (isComma === expectItem || part.kind === 'error' || (part.kind === 'punct' && !isComma)) {
      throw new SearchSyntaxError(illFormed);
    }
    if (!isComma) items.push(part);
    expectItem = isComma;
  }
  if (items.length === 0) {
    throw new SearchSyntaxError(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    );
  }
  if (!items.every(isPythonString)) {
    throw new SearchSyntaxError(
      'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
        `but got different type in list: ${token.text}`,
    );
  }
  return items.map((item) => pythonString(item.text));
}

/** Python's str.islower(): some cased character and no upper-case one. */
function isLowerCase(text: string): boolean {
  return text === text.toLowerCase() && text !== text.toUpperCase();
}

function parseNumber(token: Token, message: string): number {
  if (token.kind === 'number') return Number(token.text);
  throw new SearchSyntaxError(message);
}

function parseAttributeValue(id: ResolvedIdentifier, token: Token, spec: EntitySpec): Clause['value'] {
  const numericMessage = `Expected numeric value type for numeric attribute: ${id.key}. Found ${token.text}`;
  if (spec.attributes.get(id.key) === 'number') {
    // The registry store compares version_number = '2' through SQL type coercion.
    if (spec.registryMessages && token.kind !== 'number' && token.kind !== 'list') {
      const text = quotedString(token);
      if (/^\s*-?\d+(\.\d+)?\s*$/.test(text)) return Number(text);
    }
    return parseNumber(token, numericMessage);
  }
  if (token.kind === 'list') {
    if (!spec.listAttributes.has(id.canonicalKey)) {
      throw new SearchSyntaxError(
        spec.registryMessages
          ? `Only ${formatList([...spec.listAttributes].sort())} attributes support comparison with a list of quoted string values.`
          : "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
      );
    }
    const values = parseList(token);
    return LOWER_CASE_ID_KEYS.has(id.canonicalKey) ? values.filter(isLowerCase) : values;
  }
  if (token.kind === 'number') {
    const numericKeys = [...spec.attributes].filter(([, type]) => type === 'number').map(([key]) => key);
    if (spec.registryMessages && numericKeys.length > 0) {
      throw new SearchSyntaxError(
        `Only the '${formatList(numericKeys)}' attributes support comparison with numeric values.`,
      );
    }
    const expected = spec.registryMessages
      ? 'a quoted string value or a list of quoted string values'
      : 'a quoted string value';
    throw new SearchSyntaxError(`Expected ${expected} for attributes. Got value ${token.text}`);
  }
  return quotedString(token);
}

function parseValue(id: ResolvedIdentifier, token: Token, spec: EntitySpec): Clause['value'] {
  switch (id.kind) {
    case 'metric':
      return parseNumber(token, `Expected numeric value type for metric. Found ${token.text}`);
    case 'param':
    case 'tag':
      if (token.kind === 'string' || token.kind === 'ident') return quotedString(token);
      throw new SearchSyntaxError(
        `Expected a quoted string value for ${id.kind === 'param' ? 'parameter' : 'tag'} (e.g. 'my-value'). ` +
          `Got value ${token.text}`,
      );
    case 'dataset':
      if (token.kind === 'string' || token.kind === 'ident') return quotedString(token);
      if (token.kind === 'list') return parseList(token);
      throw new SearchSyntaxError(`Expected a quoted string value for dataset attributes. Got value ${token.text}`);
    case 'attribute':
      return parseAttributeValue(id, token, spec);
  }
}

function comparatorMessage(spec: EntitySpec, clause: Clause, allowed: readonly string[], numeric: boolean): string {
  if (!spec.registryMessages) return `Invalid comparator '${clause.comparator}' not one of '${formatList(allowed)}'`;
  if (clause.kind === 'tag') return `Invalid comparator for tag: ${clause.comparator}`;
  return numeric
    ? `Invalid comparator for attribute ${clause.key}: ${clause.comparator}`
    : `Invalid comparator for attribute: ${clause.comparator}`;
}

function checkComparator(spec: EntitySpec, clause: Clause, type: AttributeType | undefined): void {
  const allowed = spec.comparators(clause.kind, clause.key, type);
  if (!allowed.includes(clause.comparator)) {
    throw new SearchSyntaxError(comparatorMessage(spec, clause, allowed, type === 'number'));
  }
}

/** Parses a filter string for the entity described by `spec`. Empty or blank → []. */
export function parseFilter(filter: string | undefined, spec: EntitySpec): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const semicolon = tokens.findIndex((token) => token.kind === 'punct' && token.text === ';');
  if (semicolon >= 0 && semicolon < tokens.length - 1) {
    throw new SearchSyntaxError(
      `Search filter contained multiple expression '${filter}'. Provide AND-ed expression list.`,
    );
  }
  const comparisons = groupComparisons(tokens, spec.quoteInvalidClauses);
  // Like MLflow, every clause's identifier and value are checked before any comparator.
  const parsed = comparisons.map(({ left, operator, right }) => {
    if (left.kind !== 'ident') {
      throw new SearchSyntaxError(`Invalid comparison clause. Expected 'Identifier' found '${left.text}'`);
    }
    const id = resolveIdentifier(left.text, spec, spec.attributes.keys());
    const value = parseValue(id, right, spec);
    const clause = { kind: id.kind, key: id.canonicalKey, comparator: operator as Comparator, value };
    return { clause, type: id.kind === 'attribute' ? spec.attributes.get(id.key) : undefined };
  });
  for (const { clause, type } of parsed) checkComparator(spec, clause, type);
  return parsed.map(({ clause }) => clause);
}

export function parseRunFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter, RUN_SPEC);
}

export function parseExperimentFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter, EXPERIMENT_SPEC);
}

export function parseLoggedModelFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter, LOGGED_MODEL_SPEC);
}

export function parseRegisteredModelFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter, REGISTERED_MODEL_SPEC);
}

export function parseModelVersionFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter, MODEL_VERSION_SPEC);
}
