import {
  ClauseKind,
  EXPERIMENT_SPEC,
  EntitySpec,
  MODEL_VERSION_SPEC,
  RUN_SPEC,
  SearchSyntaxError,
  formatList,
  resolveIdentifier,
} from './filter';
import { stripQuotes, tokenize, trimBackticks } from './tokens';

export interface OrderTerm {
  kind: ClauseKind;
  key: string;
  ascending: boolean;
}

const RUN_ORDER_KEYS = [
  'run_id',
  'run_name',
  'user_id',
  'status',
  'start_time',
  'end_time',
  'artifact_uri',
  'created',
  'Created',
];
const EXPERIMENT_ORDER_KEYS = ['name', 'experiment_id', 'creation_time', 'last_update_time'];
const MODEL_VERSION_ORDER_KEYS = ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'];
const REGISTERED_MODEL_ORDER_KEYS = ['name', 'timestamp', 'last_updated_timestamp'];

/** Splits `"<identifier> [ASC|DESC]"` into the identifier text and the direction. */
function splitOrderBy(item: string): { identifier: string; ascending: boolean } {
  const unparsable = new SearchSyntaxError(`Invalid order_by clause '${item}'. Could not be parsed.`);
  // sqlparse keeps surrounding whitespace as extra tokens, which MLflow rejects.
  if (item.trim() !== item) throw unparsable;
  const tokens = tokenize(item);
  const [identifier, direction] = tokens;
  if (identifier?.kind !== 'ident' || tokens.length > 2) throw unparsable;
  if (direction === undefined) return { identifier: identifier.text, ascending: true };

  const order = direction.value.toLowerCase();
  const isDirection = order === 'asc' || order === 'desc';
  const isWord = direction.kind === 'ident' && /^[\p{L}\p{N}_$#]+$/u.test(direction.text);
  // Bare `timestamp` is a SQL builtin to sqlparse, so only a real ASC/DESC may follow it.
  if (!isWord || (identifier.text === 'timestamp' && !isDirection)) throw unparsable;
  if (!isDirection) throw new SearchSyntaxError(`Invalid ordering key in order_by clause '${item}'.`);
  return { identifier: identifier.text, ascending: order === 'asc' };
}

function rejectDuplicates(terms: OrderTerm[], items: string[]): OrderTerm[] {
  const seen = new Set<string>();
  for (const term of terms) {
    const field = `${term.kind}\u0000${term.key}`;
    if (seen.has(field)) throw new SearchSyntaxError(`\`order_by\` contains duplicate fields: ${formatList(items)}`);
    seen.add(field);
  }
  return terms;
}

function parseOrderByList(
  items: string[] | undefined,
  toTerm: (identifier: string, ascending: boolean) => OrderTerm,
  { allowDuplicates = false } = {},
): OrderTerm[] {
  const list = items ?? [];
  const terms = list.map((item) => {
    const { identifier, ascending } = splitOrderBy(item);
    return toTerm(identifier, ascending);
  });
  return allowDuplicates ? terms : rejectDuplicates(terms, list);
}

function attributeOnlyTerm(spec: EntitySpec, keys: string[]) {
  return (identifier: string, ascending: boolean): OrderTerm => {
    const { kind, canonicalKey } = resolveIdentifier(identifier, spec, keys);
    if (kind !== 'attribute') throw new SearchSyntaxError(`Invalid order_by entity: ${kind}`);
    return { kind, key: canonicalKey, ascending };
  };
}

/** Runs: `metrics.*`, `params.*`, `tags.*` and run attributes; `created` sorts as start_time. */
export function parseRunOrderBy(items: string[] | undefined): OrderTerm[] {
  return parseOrderByList(items, (identifier, ascending) => {
    const { kind, canonicalKey } = resolveIdentifier(identifier, RUN_SPEC, RUN_ORDER_KEYS);
    if (kind === 'dataset') throw new SearchSyntaxError(`Invalid identifier type '${kind}'`);
    return { kind, key: canonicalKey, ascending };
  });
}

/** The experiment store, unlike the others, lets a field repeat: its first mention decides. */
export function parseExperimentOrderBy(items: string[] | undefined): OrderTerm[] {
  return parseOrderByList(items, attributeOnlyTerm(EXPERIMENT_SPEC, EXPERIMENT_ORDER_KEYS), { allowDuplicates: true });
}

/** Registered models: `name`, `timestamp` and `last_updated_timestamp` (both sort by last update). */
export function parseRegisteredModelOrderBy(items: string[] | undefined): OrderTerm[] {
  return parseOrderByList(items, (identifier, ascending) => {
    const key = trimBackticks(stripQuotes(identifier));
    if (!REGISTERED_MODEL_ORDER_KEYS.includes(key)) {
      throw new SearchSyntaxError(
        `Invalid order by key '${key}' specified. Valid keys are '${formatList(['name', 'timestamp'])}'`,
      );
    }
    return { kind: 'attribute', key: key === 'timestamp' ? 'last_updated_timestamp' : key, ascending };
  });
}

export function parseModelVersionOrderBy(items: string[] | undefined): OrderTerm[] {
  return parseOrderByList(items, attributeOnlyTerm(MODEL_VERSION_SPEC, MODEL_VERSION_ORDER_KEYS));
}
