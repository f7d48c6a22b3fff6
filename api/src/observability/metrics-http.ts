/**
 * GET /metrics over HTTP: on the API listener (the default) or on a listener of its own
 * (metrics.listen_addr), behind a bearer token when metrics.bearer_token is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import { bearerToken } from '../http/credentials.js';
import type { Metrics } from './metrics.js';

export function metricsHandler(metrics: Metrics, token: string): RequestHandler {
  const expected = token === '' ? null : digest(token);
  return (req, res, next) => {
    if (expected) {
      const header = req.get('authorization');
      const given = header ? bearerToken(header) : null;
      if (given === null || !timingSafeEqual(digest(given), expected)) {
        res
          .status(401)
          .set('WWW-Authenticate', 'Bearer realm="metrics"')
          .type('text/plain')
          .send('401 unauthorized: send "Authorization: Bearer <metrics.bearer_token>"\n');
        return;
      }
    }
    metrics.text().then(
      (text) => res.status(200).type(metrics.contentType).send(text),
      (err: unknown) => next(err),
    );
  };
}

/** A listener serving only GET /metrics (and 404 for anything else). */
export function createMetricsServer(handler: RequestHandler): Server {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', handler);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 not found: this listener serves GET /metrics only\n');
  });
  return createServer(app);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
