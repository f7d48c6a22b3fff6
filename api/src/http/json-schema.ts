/**
 * zod → JSON Schema for the published documents (OpenAPI, AsyncAPI): schemas with a `meta({ id })`
 * become named components and everything else is inlined, with `$ref`s pointing at the components.
 */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

export interface SchemaCollector {
  /** The schema, or a `$ref` to its component when it has an id. */
  toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema;
  /** Every named schema met so far. */
  readonly components: Record<string, JsonSchema>;
}

export function schemaCollector(options: { target?: 'draft-2020-12' | 'draft-7' } = {}): SchemaCollector {
  const components: Record<string, JsonSchema> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', ...(options.target ? { target: options.target } : {}) }) as JsonSchema;
    const defs = (generated.$defs ?? generated.definitions ?? {}) as Record<string, JsonSchema>;
    delete generated.$defs;
    delete generated.definitions;
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
  return { toSchema, components };
}

function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\/(\$defs|definitions)\//, '#/components/schemas/') : relink(v);
    }
    return out;
  }
  return value;
}
