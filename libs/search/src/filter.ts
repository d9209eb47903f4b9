import { Token, isQuoted, scanQuoted, stripQuotes, tokenize, trimBackticks } from './tokens';

export type Comparator =
  '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';
export type ClauseKind = 'attribute' | 'metric' | 'param' | 'tag' | 'dataset';

export interface Clause {
  kind: ClauseKind;
  key: string;
  comparator: Comparator;
  /** null for IS NULL and IS NOT NULL. */
  value: string | number | string[] | null;
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

/** A clause as parsed, with what the entity's checks after parsing need to know. */
export interface ParsedClause {
  clause: Clause;
  type: AttributeType | undefined;
  /** The comparator as written: the experiment store compares it case-sensitively. */
  operatorText: string;
  /** The value was a float literal (`1.5`, `1e3`), not an integer. */
  floatLiteral: boolean;
}

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
  /** Clause kinds that take `IS NULL` / `IS NOT NULL`, and the refusal for the others. */
  nullChecks?: { kinds: ReadonlySet<ClauseKind>; refusal(kind: ClauseKind, key: string): string };
  /** The store's checks once every clause parsed (comparators, value ranges), in clause order. */
  check(parsed: ParsedClause): void;
  /** The registry stores word their errors differently from the tracking stores. */
  registryMessages: boolean;
  /** Whether 'Invalid clause(s)' quotes each offending token (MLflow differs per entity). */
  quoteInvalidClauses: boolean;
}

// In the order of MLflow's set literals; it prints them as Python sets.
const METRIC_COMPARATORS = ['>', '>=', '!=', '=', '<', '<='];
const PARAM_OR_TAG_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'];
const STRING_ATTRIBUTE_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMERIC = ['=', '!=', '<', '<=', '>', '>='];
const STRING = ['=', '!=', 'LIKE', 'ILIKE'];
const STRING_OR_LIST = [...STRING, 'IN', 'NOT IN'];
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

/** A Python set's repr; Python's own order varies per process, so this one is sorted. */
export function formatSet(items: Iterable<string>): string {
  return `{${[...items]
    .sort()
    .map((item) => `'${item}'`)
    .join(', ')}}`;
}

function invalidComparator(clause: Clause, allowed: readonly string[], closingQuote = true): SearchSyntaxError {
  const quote = closingQuote ? "'" : '';
  return new SearchSyntaxError(`Invalid comparator '${clause.comparator}' not one of '${formatSet(allowed)}${quote}`);
}

function refuseListWithComparator(clause: Clause): void {
  if (Array.isArray(clause.value) && clause.comparator !== 'IN' && clause.comparator !== 'NOT IN') {
    throw new SearchSyntaxError(
      `Invalid comparator '${clause.comparator}' for a list of values. Lists are compared with IN or NOT IN.`,
    );
  }
}

/** Python's str() of a float: integral values keep a trailing `.0`. */
function pythonFloat(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? `${value}.0` : String(value);
}

function attributeOrTagPrefixMessage(prefix: string): string {
  return `Invalid entity type '${prefix}'. Valid entity types are ('attribute', 'tag', 'tags')`;
}

/** SearchUtils.is_metric / is_param / ...: each words its refusal slightly differently. */
function checkRunClause({ clause, type }: ParsedClause): void {
  const allows = (allowed: readonly string[]) => allowed.includes(clause.comparator);
  switch (clause.kind) {
    case 'metric':
      if (!allows(METRIC_COMPARATORS)) throw invalidComparator(clause, METRIC_COMPARATORS, false);
      break;
    case 'param':
      if (!allows(PARAM_OR_TAG_COMPARATORS)) throw invalidComparator(clause, PARAM_OR_TAG_COMPARATORS);
      break;
    case 'tag':
      if (!allows(PARAM_OR_TAG_COMPARATORS)) throw invalidComparator(clause, PARAM_OR_TAG_COMPARATORS, false);
      break;
    case 'dataset':
      if (!allows(STRING_ATTRIBUTE_COMPARATORS)) throw invalidComparator(clause, STRING_ATTRIBUTE_COMPARATORS, false);
      break;
    case 'attribute':
      if (type === 'number') {
        // MLflow names the string comparators here.
        if (!allows(METRIC_COMPARATORS)) throw invalidComparator(clause, STRING_ATTRIBUTE_COMPARATORS, false);
      } else if (!allows(STRING_ATTRIBUTE_COMPARATORS)) {
        throw invalidComparator(clause, STRING_ATTRIBUTE_COMPARATORS);
      }
      break;
  }
  refuseListWithComparator(clause);
}

/** The identifier MLflow names in its IS NULL refusal. */
const MLFLOW_KIND_NAMES: Record<ClauseKind, string> = {
  attribute: 'attribute',
  metric: 'metric',
  param: 'parameter',
  tag: 'tag',
  dataset: 'dataset',
};

const EXPERIMENT_ID_COMPARATORS = ['=', '!=', 'IN', 'NOT IN'];

/** Python's int() of a string: an optional sign and digits, surrounding whitespace allowed. */
function checkExperimentIdValue(value: string): void {
  if (!/^\s*[-+]?\d+(_\d+)*\s*$/.test(value)) {
    throw new SearchSyntaxError(`Invalid experiment ID '${value}'. Experiment ID must be a valid integer.`);
  }
}

/** _get_search_experiments_filter_clauses: comparators as written (case-sensitive), then values. */
function checkExperimentClause({ clause, type, operatorText, floatLiteral }: ParsedClause): void {
  if (clause.kind === 'tag') {
    if (clause.comparator === 'IS NULL' || clause.comparator === 'IS NOT NULL') return;
    if (!STRING.includes(operatorText)) throw new SearchSyntaxError(`Invalid comparator for tag: ${operatorText}`);
    return;
  }
  if (clause.key === 'experiment_id') {
    if (!EXPERIMENT_ID_COMPARATORS.includes(operatorText)) {
      throw new SearchSyntaxError(`Invalid comparator for experiment_id: ${operatorText}`);
    }
    const values = Array.isArray(clause.value) ? clause.value : [String(clause.value)];
    values.forEach(checkExperimentIdValue);
    refuseListWithComparator(clause);
    return;
  }
  const comparator = { ...clause, comparator: operatorText as Comparator };
  if (type === 'number') {
    if (!METRIC_COMPARATORS.includes(operatorText)) {
      throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS, false);
    }
    if (floatLiteral) {
      throw new SearchSyntaxError(
        `Invalid value for numeric attribute '${clause.key}': '${pythonFloat(Number(clause.value))}'`,
      );
    }
    return;
  }
  if (!STRING_ATTRIBUTE_COMPARATORS.includes(operatorText))
    throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
  if (!STRING.includes(operatorText))
    throw new SearchSyntaxError(`Invalid comparator for string attribute: ${operatorText}`);
}

function registryComparatorMessage(clause: Clause, numeric: boolean): string {
  if (clause.kind === 'tag') return `Invalid comparator for tag: ${clause.comparator}`;
  return numeric
    ? `Invalid comparator for attribute ${clause.key}: ${clause.comparator}`
    : `Invalid comparator for attribute: ${clause.comparator}`;
}

function registryCheck(comparators: (kind: ClauseKind, type: AttributeType | undefined) => readonly string[]) {
  return ({ clause, type, floatLiteral }: ParsedClause): void => {
    if (!comparators(clause.kind, type).includes(clause.comparator)) {
      throw new SearchSyntaxError(registryComparatorMessage(clause, type === 'number'));
    }
    if (type === 'number' && floatLiteral) {
      throw new SearchSyntaxError(`Invalid value for numeric attribute '${clause.key}': ${clause.value}`);
    }
    refuseListWithComparator(clause);
  };
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
  nullChecks: {
    kinds: new Set(['tag', 'param']),
    refusal: (kind, key) =>
      `IS NULL / IS NOT NULL is only supported for tags and params, not for '${MLFLOW_KIND_NAMES[kind]}' '${key}'`,
  },
  check: checkRunClause,
  registryMessages: false,
  quoteInvalidClauses: true,
};

export const EXPERIMENT_SPEC: EntitySpec = {
  prefixes: ATTRIBUTE_OR_TAG_PREFIXES,
  trimPrefixBackticks: false,
  invalidPrefixMessage: attributeOrTagPrefixMessage,
  attributes: new Map<string, AttributeType>([
    ['name', 'string'],
    ['experiment_id', 'string'],
    ['creation_time', 'number'],
    ['last_update_time', 'number'],
  ]),
  aliases: new Map(),
  listAttributes: new Set(['experiment_id']),
  nullChecks: {
    kinds: new Set(['tag']),
    refusal: (_kind, key) => `IS NULL / IS NOT NULL is only supported for tags, not for attribute '${key}'`,
  },
  check: checkExperimentClause,
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
  check: checkRunClause,
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
  check: registryCheck((kind) => (kind === 'attribute' ? STRING_OR_LIST : STRING)),
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
  check: registryCheck((kind, type) => {
    if (kind !== 'attribute') return STRING;
    return type === 'number' ? NUMERIC : STRING_OR_LIST;
  }),
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
  checkQuotedKey = false,
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
  const rawKey = dot >= 0 ? text.slice(dot + 1) : text;
  const key = trimBackticks(stripQuotes(rawKey));
  const attributes = new Set(validAttributes);
  const checkedKey = checkQuotedKey ? rawKey : key;
  if (kind === 'attribute' && !attributes.has(checkedKey)) {
    throw new SearchSyntaxError(
      `Invalid attribute key '${checkedKey}' specified. Valid keys are '${formatSet(attributes)}'`,
    );
  }
  if (kind === 'dataset' && !DATASET_KEYS.has(key)) {
    throw new SearchSyntaxError(`Invalid dataset key '${key}' specified. Valid keys are '${formatSet(DATASET_KEYS)}'`);
  }
  return { kind, key, canonicalKey: kind === 'attribute' ? (spec.aliases.get(key) ?? key) : key };
}

interface RawComparison {
  left: Token;
  operator: string;
  /** The comparator as written. */
  operatorText: string;
  /** Absent for IS NULL and IS NOT NULL. */
  right?: Token;
}

const isOperand = (token: Token | undefined): token is Token =>
  token?.kind === 'ident' || token?.kind === 'string' || token?.kind === 'number';

const isKeyword = (token: Token | undefined, value: string) => token?.kind === 'keyword' && token.value === value;

function matchComparison(
  tokens: Token[],
  start: number,
  nullChecks: boolean,
): { comparison: RawComparison; next: number } | undefined {
  const [left, second, third, fourth] = tokens.slice(start, start + 4);
  if (!isOperand(left) || second === undefined) return undefined;
  // sqlparse groups a parenthesised right-hand side into the comparison too: `name = ('a')`.
  const listOperand = left.kind === 'ident' && third?.kind === 'list';
  if (second.kind === 'op' && third !== undefined && (isOperand(third) || listOperand)) {
    return { comparison: { left, operator: second.value, operatorText: second.text, right: third }, next: start + 3 };
  }
  if (left.kind !== 'ident') return undefined;
  if (isKeyword(second, 'IN') && third?.kind === 'list') {
    return { comparison: { left, operator: 'IN', operatorText: second.text, right: third }, next: start + 3 };
  }
  if (nullChecks && isKeyword(second, 'IS') && third !== undefined && ['NULL', 'NOT NULL'].includes(third.value)) {
    const operator = `IS ${third.value}`;
    return { comparison: { left, operator, operatorText: operator }, next: start + 3 };
  }
  if (isKeyword(second, 'NOT') && isKeyword(third, 'IN') && fourth?.kind === 'list') {
    return { comparison: { left, operator: 'NOT IN', operatorText: 'NOT IN', right: fourth }, next: start + 4 };
  }
  return undefined;
}

/** Groups tokens into `<operand> <comparator> <operand>` triples joined by AND. */
function groupComparisons(tokens: Token[], quoteInvalid: boolean, nullChecks: boolean): RawComparison[] {
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
    const match = expectAnd ? undefined : matchComparison(tokens, i, nullChecks);
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
        `Only ${formatList([...spec.listAttributes].sort())} attributes support comparison with a list of quoted string values.`,
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
  const comparisons = groupComparisons(tokens, spec.quoteInvalidClauses, spec.nullChecks !== undefined);
  // Like MLflow, every clause's identifier and value are checked before any comparator.
  const parsed = comparisons.map(({ left, operator, operatorText, right }): ParsedClause => {
    if (left.kind !== 'ident') {
      throw new SearchSyntaxError(`Invalid comparison clause. Expected 'Identifier' found '${left.text}'`);
    }
    // The registry stores check a filter's key before unquoting it: `name` in backticks is unknown there.
    const id = resolveIdentifier(left.text, spec, spec.attributes.keys(), spec.registryMessages);
    if (right === undefined && spec.nullChecks && !spec.nullChecks.kinds.has(id.kind)) {
      throw new SearchSyntaxError(spec.nullChecks.refusal(id.kind, id.key));
    }
    const value = right === undefined ? null : parseValue(id, right, spec);
    const clause = { kind: id.kind, key: id.canonicalKey, comparator: operator as Comparator, value };
    return {
      clause,
      type: id.kind === 'attribute' ? spec.attributes.get(id.key) : undefined,
      operatorText,
      floatLiteral: right?.kind === 'number' && /[.eE]/.test(right.text),
    };
  });
  parsed.forEach((clause) => spec.check(clause));
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
