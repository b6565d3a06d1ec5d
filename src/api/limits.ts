import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
}

/**
 * Reports a rejection as an ordinary validation error with a stable `extensions.code`, so a client
 * can tell "too deep" from a typo (graphql-armor would otherwise throw out of validation).
 */
const reportAs =
  (code: string) =>
  (context: ValidationContext | null, error: GraphQLError): void => {
    context?.reportError(
      new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
        nodes: error.nodes,
        extensions: { code },
      }),
    );
  };

/** Extra validation for every operation, HTTP and graphql-ws alike (graphql-armor's rules). */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const common = { exposeLimits: true, propagateOnRejection: false };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, onReject: [reportAs('QUERY_TOO_DEEP')] }),
    costLimitRule({ ...common, maxCost: limits.maxCost, onReject: [reportAs('QUERY_TOO_COSTLY')] }),
  ] as unknown as ValidationRule[];
}

export interface DocumentLimits {
  /** Root fields (aliases included) per operation. */
  maxRootFields: number;
  /** Aliases per document. */
  maxAliases: number;
}

/**
 * Root fields per operation and aliases per document. A document past either is refused whole in
 * validation, so nothing of it runs: 1,000 aliased `setTrackMuted` in one request are one refusal,
 * not 1,000 events. Fragments are followed (each spread counted where it is used).
 */
export function documentLimitRules(limits: DocumentLimits): ValidationRule[] {
  const rootFields: ValidationRule = (context) => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((fragment) => [fragment.name.value, fragment]),
    );
    const count = (selections: SelectionSetNode, seen: Set<string>): number => {
      let total = 0;
      for (const selection of selections.selections) {
        if (selection.kind === Kind.FIELD) total++;
        else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet, seen);
        else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue;
          total += count(fragment.selectionSet, new Set([...seen, name]));
        }
        if (total > limits.maxRootFields) return total;
      }
      return total;
    };
    return {
      OperationDefinition(operation) {
        const total = count(operation.selectionSet, new Set());
        if (total > limits.maxRootFields) {
          context.reportError(
            new GraphQLError(
              `An operation may select at most ${limits.maxRootFields} root fields (aliases included).`,
              { nodes: [operation], extensions: { code: 'TOO_MANY_ROOT_FIELDS' } },
            ),
          );
        }
        return false;
      },
    };
  };
  const aliases: ValidationRule = (context) => {
    let total = 0;
    let reported = false;
    return {
      Field(field) {
        if (!field.alias || reported) return;
        total++;
        if (total > limits.maxAliases) {
          reported = true;
          context.reportError(
            new GraphQLError(`A document may use at most ${limits.maxAliases} aliases.`, {
              nodes: [field],
              extensions: { code: 'TOO_MANY_ALIASES' },
            }),
          );
        }
      },
    };
  };
  return [rootFields, aliases];
}

/** How many items an unpaged list field is counted as (participants, streams, tracks). */
const UNPAGED_LIST_ITEMS = 10;

/**
 * How many list items an operation may return at most, with page sizes (`first`, `last`) read from
 * literals, variables and argument defaults alike: `qualityHistory(last: $n)` counts `$n`, a bare
 * `qualityHistory` its default. Each list multiplies what is selected under it. Computed before
 * execution, with the request's variables (validation never sees them).
 */
export function listItems(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
): number {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return 0;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  // Variables that do not coerce fail in execution with their own error.
  if (coerced.errors) return 0;
  const variables = coerced.coerced;
  // The count depends on the document and on the variables its page sizes name, nothing else: a
  // known document (the SDK's, a dashboard's poll) is walked once per set of those values.
  let perDocument = walkedCounts.get(schema);
  if (!perDocument) walkedCounts.set(schema, (perDocument = new WeakMap()));
  let perOperation = perDocument.get(document);
  if (!perOperation) perDocument.set(document, (perOperation = new Map()));
  const known = perOperation.get(operationName ?? '');
  // An absent variable (the argument's default applies) is not a null one (no page size).
  const valuesOf = (names: string[]) =>
    JSON.stringify(names.map((name) => (name in variables ? variables[name] : { absent: true })));
  const cached = known?.counts.get(valuesOf(known.pageSizeVariables));
  if (cached !== undefined) return cached;
  const pageSizeVariables = new Set<string>();
  const count = countItems(schema, document, operation, variables, pageSizeVariables);
  // A walk that stopped early (an absurd count) may not have seen every page size: not kept.
  if (count > Number.MAX_SAFE_INTEGER / 2) return count;
  const entry = known ?? { pageSizeVariables: [...pageSizeVariables].sort(), counts: new Map() };
  perOperation.set(operationName ?? '', entry);
  if (entry.counts.size >= MAX_COUNTS_PER_OPERATION) entry.counts.clear();
  entry.counts.set(valuesOf(entry.pageSizeVariables), count);
  return count;
}

/** Per schema, document and operation: the variables its page sizes read, and the counts walked per their values. */
const walkedCounts = new WeakMap<
  GraphQLSchema,
  WeakMap<DocumentNode, Map<string, { pageSizeVariables: string[]; counts: Map<string, number> }>>
>();
/** Distinct page-size values remembered per operation (a client paging through every size). */
const MAX_COUNTS_PER_OPERATION = 64;

/** The walk behind listItems; adds to `pageSizeVariables` each variable a list field's `first` or `last` names. */
function countItems(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  pageSizeVariables: Set<string>,
): number {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const walk = (type: GraphQLNamedType, selections: SelectionSetNode, seen: Set<string>): number => {
    let total = 0;
    for (const selection of selections.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        total += walk(condition ?? type, selection.selectionSet, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const condition = schema.getType(fragment.typeCondition.name.value) ?? type;
        total += walk(condition, fragment.selectionSet, new Set([...seen, fragment.name.value]));
        continue;
      }
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      const field = type.getFields()[selection.name.value];
      if (!field) continue;
      let items = 1;
      if (isListType(getNullableType(field.type))) {
        let args: Record<string, unknown> = {};
        try {
          args = getArgumentValues(field, selection, variables);
        } catch {
          // Arguments that do not coerce fail in execution.
        }
        for (const argument of selection.arguments ?? []) {
          if (
            (argument.name.value === 'first' || argument.name.value === 'last') &&
            argument.value.kind === Kind.VARIABLE
          )
            pageSizeVariables.add(argument.value.name.value);
        }
        const size = [args.first, args.last].find((value) => typeof value === 'number');
        items = typeof size === 'number' ? Math.max(size, 1) : UNPAGED_LIST_ITEMS;
      }
      const inner = getNamedType(field.type);
      // A scalar costs nothing of its own; an object (or a list of scalars) its items.
      if (selection.selectionSet) total += items * (1 + walk(inner, selection.selectionSet, seen));
      else if (items > 1 || isListType(getNullableType(field.type))) total += items;
      if (total > Number.MAX_SAFE_INTEGER / 2) return total;
    }
    return total;
  };
  return walk(root, operation.selectionSet, new Set());
}

/** QUERY_TOO_COSTLY when an operation could return more list items than allowed. */
export function assertListItems(
  maxItems: number,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): void {
  const items = listItems(schema, document, operationName, variables);
  if (items > maxItems) {
    throw new GraphQLError(
      `This operation could return ${items} items; at most ${maxItems} are allowed (page sizes from arguments, variables and defaults are counted).`,
      { extensions: { code: 'QUERY_TOO_COSTLY', http: { status: 400 } } },
    );
  }
}

/**
 * Operations per socket: graphql-ws's `onSubscribe` refusal (TOO_MANY_SUBSCRIPTIONS) once a
 * connection holds more than `limit` (`open` counts the one being started).
 */
export function tooManyOperations(open: number, limit: number): GraphQLError[] | undefined {
  if (open <= limit) return undefined;
  return [
    new GraphQLError(`A connection may hold at most ${limit} operations at once.`, {
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit },
    }),
  ];
}
