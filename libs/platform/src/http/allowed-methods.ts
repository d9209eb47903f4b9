import { FastifyInstance } from 'fastify';

/** A route pattern (`/a/:id`, `/b/*`) as a regular expression over request paths. */
export function routePattern(url: string): RegExp {
  const source = url
    .split(/(:\w+|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * Answers a method that a served path does not take with 405 and the Allow header, as HTTP (and
 * MLflow's Flask server) do, instead of the 404 of a path nothing serves.
 */
export function answerUnsupportedMethods(fastify: FastifyInstance): void {
  const routes: Array<{ methods: string[]; pattern: RegExp; variables: number }> = [];
  fastify.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    routes.push({
      methods: ([] as string[]).concat(route.method),
      pattern: routePattern(url),
      variables: (url.match(/:\w+|\*/g) ?? []).length,
    });
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0];
    const matching = routes.filter((route) => route.pattern.test(path));
    // The resource a path names is its most specific route: `/models/search`, not `/models/:id`.
    const specific = Math.min(...matching.map((route) => route.variables));
    const allowed = [
      ...new Set(matching.filter((route) => route.variables === specific).flatMap((route) => route.methods)),
    ];
    if (allowed.length === 0) return;
    await reply
      .status(405)
      .header('allow', allowed.join(', '))
      .header('content-type', 'application/json')
      .send(
        JSON.stringify({
          error_code: 'BAD_REQUEST',
          message: `Method ${request.method} is not allowed for ${path}; it takes ${allowed.join(', ')}`,
        }),
      );
  });
}
