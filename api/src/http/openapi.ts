/** The OpenAPI 3.1 document, generated from the route table and the wire schemas. */
import { ErrorEnvelope } from '@e2a/sdk/wire';
import { z } from 'zod';
import { paramNames, paramSchema } from './path-params.js';
import type { RegisteredRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

export function buildOpenApi(routes: RegisteredRoute[], info: { version: string; publicUrl: string }): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    const defs = (generated.$defs ?? {}) as Record<string, JsonSchema>;
    delete generated.$defs;
    delete generated.$schema;
    for (const [name, def] of Object.entries(defs)) components[name] = relink(def) as JsonSchema;
    const id = (generated as { id?: string }).id;
    if (id) {
      delete (generated as { id?: string }).id;
      components[id] = relink(generated) as JsonSchema;
      return { $ref: `#/components/schemas/${id}` };
    }
    return relink(generated) as JsonSchema;
  };
  const errorRef = toSchema(ErrorEnvelope, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of routes) {
    const path = spec.path.replace(/:([a-zA-Z_]+)/g, '{$1}');
    const params = paramNames(spec.path).map((name) => ({ name, in: 'path', required: true, schema: paramSchema(name) }));
    if (spec.query) {
      const q = toSchema(spec.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        params.push({ name, in: 'query', required: (q.required ?? []).includes(name), schema: schema as never });
      }
    }
    const status = String(spec.status ?? (spec.response || spec.produces ? 200 : 204));
    const responses: Record<string, unknown> = {
      [status]: spec.produces
        ? { description: 'OK', content: { [spec.produces]: { schema: { type: 'string', format: 'binary' } } } }
        : spec.response
          ? { description: 'OK', content: { 'application/json': { schema: toSchema(spec.response, 'output') } } }
          : { description: 'No content' },
      default: { description: 'Error', content: { 'application/json': { schema: errorRef } } },
    };
    (paths[path] ??= {})[spec.method] = {
      summary: spec.summary,
      tags: [spec.tag],
      operationId: `${spec.method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: params,
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body, 'input') } } } } : {}),
      responses,
      // `{}` in the list is OpenAPI's "no credential" alternative: the key is optional there.
      ...(spec.auth === 'none' ? { security: [] } : spec.auth === 'optional' ? { security: [{}, { bearer: [] }] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'e2a API', version: info.version },
    servers: [{ url: info.publicUrl }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key: e2a_…' } } },
  };
}

function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : relink(v);
    }
    return out;
  }
  return value;
}
