import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import { isDomainError } from '../shared/errors';
import type { ApiContext } from './context';
import { assertListItems } from './limits';
import { introspects } from './responses';

/** The refusal of one request, or null: what Apollo, graphql-ws and PreparedOperations all ask. */
export type RequestRefusal = (
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  context: ApiContext,
) => GraphQLError | null;

/**
 * Checks made with the request's variables and caller, before anything runs: list items (page
 * sizes from variables and defaults) and, in secured mode, introspection for admins only.
 */
export function requestRefusal(options: {
  schema: GraphQLSchema;
  maxItems: number;
  secured: boolean;
}): RequestRefusal {
  return (document, operationName, variables, context) => {
    try {
      assertListItems(options.maxItems, options.schema, document, operationName, variables);
      if (options.secured && introspects(document)) context.access.requireAdmin();
      return null;
    } catch (error) {
      if (error instanceof GraphQLError) return error;
      if (isDomainError(error)) {
        const status = error.code === 'FORBIDDEN' ? 403 : 401;
        return new GraphQLError(error.message, { extensions: { code: error.code, http: { status } } });
      }
      throw error;
    }
  };
}
