/** The HTTP verbs MLflow's routes use. */
export type RestVerb = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The REST route a gRPC method is answered by; `{field}` in the path is taken from the request message. */
export interface RestBinding {
  verb: RestVerb;
  path: string;
  /** The route reads its fields from the query string whatever its verb (Databricks' DELETE routes). */
  fieldsInQuery?: true;
}

/** A method's verb and path; 'query' when the route reads its fields from the query string. */
type Route = [RestVerb, string] | [RestVerb, string, 'query'];

/** A service's methods, each bound to its REST route (the paths are under /api/2.0). */
export const service = (name: string, routes: Record<string, Route>): [string, RestBinding][] =>
  Object.entries(routes).map(([method, [verb, path, fields]]) => [
    `${name}/${method}`,
    { verb, path: `/api/2.0${path}`, ...(fields === 'query' ? { fieldsInQuery: true as const } : {}) },
  ]);
