/**
 * The express application: request ids, JSON bodies, Bearer auth, the route table, and the one
 * place where errors become the `{"error":{code,message,request_id}}` envelope.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Principal } from '../accounts/principal.js';
import type { AccountsService } from '../accounts/service.js';
import { runWithLogContext, type LogContext } from '../observability/log-context.js';
import type { HttpLimits } from '../limits/http-limits.js';
import { csrfFor } from '../accounts/dashboard-sessions.js';
import { csrfRefusal, requestCredential } from './credentials.js';
import { AppError } from '../errors.js';
import { toAppError } from './errors.js';
import { checkParams } from './path-params.js';
import { requestIdFor } from './request-id.js';
import { makeExpressHandler, type RouteTable } from './route.js';

export interface HttpAppDeps {
  routes: RouteTable;
  accounts: AccountsService;
  /** Rate limits and quotas every request is charged against (limits/http-limits.ts). */
  limits: HttpLimits;
  logger: Logger;
  maxBodyBytes: number;
  trustProxy: boolean;
  /** config.public_url: a dashboard session's requests must come from this origin (or the request's own host). */
  publicUrl?: string;
  /**
   * Extra handlers (MCP endpoint, static dashboard), mounted after the route table so no API request
   * passes through them, and before the not-found handler.
   */
  mount?: (app: express.Express) => void;
  /** GET /metrics on this listener (observability/metrics-http.ts); absent when served elsewhere or off. */
  metrics?: RequestHandler;
}

/** Probes and scrapes: their access-log lines are debug, so a poll every few seconds does not fill the log. */
const QUIET_PATHS = new Set(['/metrics', '/livez', '/readyz', '/healthz', '/api/health']);

export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Without trust_proxy, X-Forwarded-For is still believed from loopback: the gateway's own MCP
  // endpoint calls this API on loopback and names the real client there, so per-client limits
  // apply to that client, not to 127.0.0.1 (a local process is trusted with the whole host anyway).
  app.set('trust proxy', deps.trustProxy ? true : 'loopback');
  app.set('json spaces', 0);
  // node:querystring: `a[b]=c` stays a key named "a[b]" and a repeated key becomes an array, both of
  // which the strict query schemas refuse with a 422 naming them (qs would build nested objects).
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const id = requestIdFor(req.get('x-request-id'));
    res.locals.requestId = id;
    res.locals.logContext = { request_id: id } satisfies LogContext;
    res.set('X-Request-Id', id);
    next();
  });
  // One line per request once it is answered: the route template, never the path (it names agents).
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => (res as Response).locals.requestId as string,
      wrapSerializers: false,
      serializers: { req: (req: Request) => ({ method: req.method }), res: (res: Response) => ({ status: res.statusCode }) },
      customAttributeKeys: { responseTime: 'duration_ms' },
      customLogLevel: (req, res, err) => (err || res.statusCode >= 500 ? 'error' : QUIET_PATHS.has(((req as Request).originalUrl ?? req.url ?? '').split('?')[0]!) ? 'debug' : 'info'),
      customSuccessMessage: () => 'request',
      customErrorMessage: () => 'request failed',
      customSuccessObject: (req, res, value: object) => ({ ...value, ...accessFields(req as Request, res as Response) }),
      customErrorObject: (req, res, _err, value: object) => ({ ...value, ...accessFields(req as Request, res as Response) }),
    }),
  );
  app.use(express.json({ limit: deps.maxBodyBytes, type: ['application/json', 'application/*+json'] }));
  // Everything logged from here on while serving the request carries its id (and account, once known).
  // After the body parser: its stream callbacks would not carry the context along.
  app.use((_req, res, next) => runWithLogContext(res.locals.logContext as LogContext, next));
  if (deps.metrics) app.get('/metrics', deps.metrics);

  for (const route of deps.routes.routes) {
    const { spec } = route;
    const auth = spec.auth ?? 'required';
    const handler = makeExpressHandler(route);
    // A route under /v1/agents/:address has its agent read by the statement that checks the key.
    const namesAgent = spec.path.split('/').includes(':address');
    app[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        // Checked before authentication, which reads the path's agent, yet answered after it, so a
        // request without a key is told that first.
        const badParam = checkParams(spec.path, req.params as Record<string, string>);
        const ip = req.ip ?? '';
        if (auth !== 'none') {
          const credential = requestCredential(req.headers);
          if (credential) {
            const refused = deps.limits.refusedBeforeAuth(ip);
            if (refused) throw refused;
            const address = namesAgent && !badParam ? req.params.address : undefined;
            res.locals.principal = await deps.accounts.principalFor(credential, { agentAddress: typeof address === 'string' ? address : undefined }).catch(async (err: unknown) => {
              // A bad or revoked key (or session) is counted per client; past the budget the answer is 429.
              if (err instanceof AppError && err.code === 'unauthorized') throw (await deps.limits.failedAuth(ip)) ?? err;
              throw err;
            });
            if (credential.kind === 'session') {
              const refusal = csrfRefusal({ method: req.method, headers: req.headers, publicUrl: deps.publicUrl }, csrfFor(credential.token));
              if (refusal) throw new AppError('forbidden', refusal);
            }
          } else if (auth === 'required') {
            throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer e2a_…" (or sign in to the dashboard)');
          } else {
            res.locals.principal = null;
          }
        }
        const principal = res.locals.principal as Principal | null | undefined;
        if (principal) (res.locals.logContext as LogContext).account_id = principal.userId;
        const agent = namesAgent && !badParam ? req.params.address : undefined;
        res.set(await deps.limits.charge({ ip, principal: (res.locals.principal as Principal | null | undefined) ?? null, route: spec.limit, agent: typeof agent === 'string' ? agent : undefined, body: req.body as unknown }));
        if (badParam) throw badParam;
        await handler(req, res);
      } catch (err) {
        next(err);
      }
    });
  }

  deps.mount?.(app);

  app.use((req, _res, next) => {
    next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
  });

  // Express recognises an error handler by its four parameters.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const appError = toAppError(err, req);
    if (appError.status >= 500) deps.logger.error({ err, requestId: res.locals.requestId }, 'request failed');
    if (res.headersSent) return res.end();
    res
      .status(appError.status)
      .set(appError.headers ?? {})
      .json({
        error: {
          code: appError.code,
          message: appError.message,
          request_id: res.locals.requestId as string,
          ...(appError.details ? { details: appError.details } : {}),
        },
      });
  });
  return app;
}

/** The access-log fields: route template (not the path), request id, account (never the key). */
function accessFields(req: Request, res: Response): Record<string, unknown> {
  const principal = res.locals.principal as Principal | null | undefined;
  return {
    route: (req.route as { path?: string } | undefined)?.path ?? null,
    request_id: res.locals.requestId as string,
    ...(principal ? { account_id: principal.userId } : {}),
  };
}
