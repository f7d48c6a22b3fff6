/**
 * The express application: request ids, JSON bodies, Bearer auth, the route table, and the one
 * place where errors become the `{"error":{code,message,request_id}}` envelope.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { AccountsService } from '../accounts/service.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { bearerToken } from './credentials.js';
import { AppError } from './errors.js';
import { makeExpressHandler, type RouteTable } from './route.js';
import { randomToken } from '../ids.js';

export interface HttpAppDeps {
  routes: RouteTable;
  accounts: AccountsService;
  logger: Logger;
  maxBodyBytes: number;
  trustProxy: boolean;
  /**
   * Extra handlers (MCP endpoint, static dashboard), mounted after the route table so no API request
   * passes through them, and before the not-found handler.
   */
  mount?: (app: express.Express) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('json spaces', 0);

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : `req_${randomToken(12)}`;
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  });
  app.use(express.json({ limit: deps.maxBodyBytes, type: ['application/json', 'application/*+json'] }));

  for (const route of deps.routes.routes) {
    const { spec } = route;
    const auth = spec.auth ?? 'required';
    const handler = makeExpressHandler(route);
    // A route under /v1/agents/:address has its agent read by the statement that checks the key.
    const namesAgent = spec.path.split('/').includes(':address');
    app[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        if (auth !== 'none') {
          const header = req.get('authorization');
          if (header) {
            const token = bearerToken(header);
            if (token === null) throw new AppError('unauthorized', 'Authorization header must be "Bearer e2a_…"');
            const address = namesAgent ? req.params.address : undefined;
            res.locals.principal = await deps.accounts.authenticate(token, { agentAddress: typeof address === 'string' ? address : undefined });
          } else if (auth === 'required') {
            throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer e2a_…"');
          } else {
            res.locals.principal = null;
          }
        }
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
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const appError = toAppError(err);
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

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  // body-parser's errors carry a type and a status.
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', 'request body is larger than http.max_body_bytes');
  if (e?.type === 'entity.parse.failed') return new AppError('bad_request', 'request body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError('unsupported_media_type', e.message ?? 'unsupported encoding');
  // Nothing is wrong with the request: the client should try again, as an SMTP sender does after 451.
  if (isDatabaseUnavailable(err)) return new AppError('unavailable', 'the database is unavailable; retry shortly', undefined, { 'Retry-After': '1' });
  return new AppError('internal_error', 'internal error; the request id identifies it in the server log');
}
