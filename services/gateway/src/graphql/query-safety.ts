import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  SelectionNode,
  SelectionSetNode,
} from 'graphql';

/** MLflow's limits on a query (graphql_no_batching.py), checked before it is validated or run. */
export interface QueryLimits {
  maxRootFields: number;
  maxAliases: number;
}

const MAX_DEPTH = 10;
const MAX_SELECTIONS = 1000;

/** The fields of one level, fragments (inline or spread) merged in, and how many of them are aliased. */
function levelFields(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visitedFragments: ReadonlySet<string>,
): { fields: FieldNode[]; aliases: number } {
  const fields: FieldNode[] = [];
  let aliases = 0;
  const pending: SelectionNode[] = [...selectionSet.selections];
  const visited = new Set(visitedFragments);
  for (let selection = pending.shift(); selection !== undefined; selection = pending.shift()) {
    if (selection.kind === Kind.FIELD) {
      fields.push(selection);
      if (selection.alias) aliases += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      pending.push(...selection.selectionSet.selections);
    } else if (!visited.has(selection.name.value)) {
      visited.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) pending.push(...fragment.selectionSet.selections);
    }
  }
  return { fields, aliases };
}

function scanQuery(document: DocumentNode): { rootFields: number; maxAliases: number } {
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  let rootFields = 0;
  let maxAliases = 0;
  let selections = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const stack: Array<{ selectionSet: SelectionSetNode; depth: number; visited: ReadonlySet<string> }> = [
      { selectionSet: definition.selectionSet, depth: 1, visited: new Set() },
    ];
    for (let level = stack.pop(); level !== undefined; level = stack.pop()) {
      if (level.depth > MAX_DEPTH) throw new GraphQLError(`Query exceeds maximum depth of ${MAX_DEPTH}`);
      const { fields, aliases } = levelFields(level.selectionSet, fragments, level.visited);
      for (const field of fields) {
        if (level.depth === 1) rootFields += 1;
        if (field.selectionSet) {
          stack.push({ selectionSet: field.selectionSet, depth: level.depth + 1, visited: level.visited });
        }
        selections += 1;
        if (selections > MAX_SELECTIONS) {
          throw new GraphQLError(`Query exceeds maximum total selections of ${MAX_SELECTIONS}`);
        }
      }
      maxAliases = Math.max(maxAliases, aliases);
    }
  }
  return { rootFields, maxAliases };
}

/** MLflow's refusal of a query too deep, too wide, or batching work through root fields or aliases; or none. */
export function querySafetyError(document: DocumentNode, limits: QueryLimits): GraphQLError | undefined {
  let scanned: { rootFields: number; maxAliases: number };
  try {
    scanned = scanQuery(document);
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  const exceeded =
    scanned.rootFields > limits.maxRootFields
      ? { what: 'root fields', limit: limits.maxRootFields, value: scanned.rootFields, variable: 'ROOT_FIELDS' }
      : scanned.maxAliases > limits.maxAliases
        ? { what: 'aliases', limit: limits.maxAliases, value: scanned.maxAliases, variable: 'ALIASES' }
        : undefined;
  if (!exceeded) return undefined;
  const { what, limit, value, variable } = exceeded;
  return new GraphQLError(
    `GraphQL queries should have at most ${limit} ${what}, got ${value} ${what}. To increase the limit, ` +
      `set the MLFLOW_SERVER_GRAPHQL_MAX_${variable} environment variable.`,
  );
}
