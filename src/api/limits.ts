import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';

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
