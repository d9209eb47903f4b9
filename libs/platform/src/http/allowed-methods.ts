import { FastifyInstance } from 'fastify';

/** The methods one route pattern takes. */
export interface RouteMethods {
  methods: string[];
  pattern: RegExp;
  variables: number;
}

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

export function routeMethods(url: string, methods: string[]): RouteMethods {
  return { methods, pattern: routePattern(url), variables: (url.match(/:\w+|\*/g) ?? []).length };
}

/** The methods the resource a path names takes; its most specific route decides (`/models/search`, not `/models/:id`). */
function allowedMethods(routes: RouteMethods[], path: string): string[] {
  const matching = routes.filter((route) => route.pattern.test(path));
  const specific = Math.min(...matching.map((route) => route.variables));
  return [...new Set(matching.filter((route) => route.variables === specific).flatMap((route) => route.methods))];
}

/** Paths whose methods are remembered at most; past it the memory starts over (paths holding ids vary without end). */
const REMEMBERED_PATHS = 4096;

/**
 * allowedMethods, remembered by path: every request through the gateway asks it, and testing each of the
 * forwarded routes' patterns cost the gateway a quarter of a millisecond per request.
 */
function rememberedAllowedMethods(routes: RouteMethods[]): (path: string) => string[] {
  const remembered = new Map<string, string[]>();
  return (path) => {
    let methods = remembered.get(path);
    if (methods === undefined) {
      if (remembered.size >= REMEMBERED_PATHS) remembered.clear();
      methods = allowedMethods(routes, path);
      remembered.set(path, methods);
    }
    return methods;
  };
}

/**
 * Answers a method that a served path does not take with 405 and the Allow header, as HTTP (and
 * MLflow's Flask server) do, instead of the 404 of a path nothing serves. The routes are this server's
 * own; `forwarded` describes paths this server only forwards (the gateway), whose wrong methods are
 * answered here rather than sent on.
 */
export function answerUnsupportedMethods(fastify: FastifyInstance, forwarded: RouteMethods[] = []): void {
  const registered: RouteMethods[] = [];
  fastify.addHook('onRoute', (route) => {
    registered.push(routeMethods(route.url ?? route.path, ([] as string[]).concat(route.method)));
  });
  const forwardedMethods = rememberedAllowedMethods(forwarded);
  fastify.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    const described = forwardedMethods(path);
    const allowed = described.length > 0 ? described : request.is404 ? allowedMethods(registered, path) : [];
    if (allowed.length === 0 || allowed.includes(request.method)) return;
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
