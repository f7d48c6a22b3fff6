/**
 * Request input is strict: a field no schema declares is refused, at any depth, on every route. A
 * zod object strips unknown keys by default, which turns a misspelt key into a silent default (a
 * misspelt protection field would leave an agent unprotected while the API answers 200).
 *
 * The wire schemas stay as they are, because they also read stored values and describe responses,
 * where an unknown key must not fail (a stored protection setting from another version would
 * otherwise fall back to the defaults). The route table turns each route's query and body schema
 * into its strict twin once, when the route is added, so every route, present and future, refuses
 * unknown fields, and the OpenAPI document generated from the same twins says
 * `additionalProperties: false`.
 *
 * zod has no deep `.strict()`; this walks the schema through `_zod.def`, the introspection surface
 * zod 4 documents for library authors, and rebuilds only the nodes under an object that was not strict.
 */
import { z } from 'zod';

type Schema = z.ZodType;
type Def = Record<string, unknown> & { type: string };

const strictTwins = new WeakMap<Schema, Schema>();
/** Schemas being rebuilt: a shape that refers back to its own object (a getter) is left as it is there. */
const underway = new WeakSet<Schema>();

const defOf = (schema: Schema) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers whose one child is `innerType`. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional', 'success']);

/** The same schema with every object in it strict (`catchall: never`); refinements, defaults and metadata kept. */
export function strictSchema<T extends Schema>(schema: T): T {
  return strict(schema) as T;
}

function strict(schema: Schema): Schema {
  const known = strictTwins.get(schema);
  if (known) return known;
  if (underway.has(schema)) return schema;
  underway.add(schema);
  const def = defOf(schema);
  const rebuilt = (patch: Record<string, unknown>): Schema => {
    // Copied with its accessors: a default's value is a getter that hands each parse its own copy.
    const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(def)) as Def;
    for (const [key, value] of Object.entries(patch)) Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
    const twin = (schema as unknown as { clone(def: Def): Schema }).clone(copy);
    const meta = z.globalRegistry.get(schema);
    return meta ? twin.meta(meta) : twin;
  };
  const child = (key: string): Record<string, unknown> | null => {
    const inner = def[key] as Schema | undefined;
    if (!inner) return null;
    const twin = strict(inner);
    return twin === inner ? null : { [key]: twin };
  };
  let out = schema;
  if (def.type === 'object') {
    const shape: Record<string, Schema> = {};
    let changed = false;
    for (const [key, value] of Object.entries(def.shape as Record<string, Schema>)) {
      shape[key] = strict(value);
      if (shape[key] !== value) changed = true;
    }
    // Only the default (strip) is made strict: z.strictObject, z.looseObject and .catchall(x) chose their rule.
    const strips = def.catchall === undefined;
    if (changed || strips) out = rebuilt({ shape, ...(strips ? { catchall: z.never() } : {}) });
  } else if (WRAPPERS.has(def.type)) {
    const patch = child('innerType');
    if (patch) out = rebuilt(patch);
  } else if (def.type === 'array') {
    const patch = child('element');
    if (patch) out = rebuilt(patch);
  } else if (def.type === 'record') {
    const patch = child('valueType');
    if (patch) out = rebuilt(patch);
  } else if (def.type === 'pipe') {
    const patch = { ...child('in'), ...child('out') };
    if (Object.keys(patch).length > 0) out = rebuilt(patch);
  } else if (def.type === 'intersection') {
    const patch = { ...child('left'), ...child('right') };
    if (Object.keys(patch).length > 0) out = rebuilt(patch);
  } else if (def.type === 'union' || def.type === 'tuple') {
    const key = def.type === 'union' ? 'options' : 'items';
    const items = def[key] as Schema[];
    const twins = items.map(strict);
    if (twins.some((t, i) => t !== items[i])) out = rebuilt({ [key]: twins });
  } else if (def.type === 'lazy') {
    const getter = def.getter as () => Schema;
    out = rebuilt({ getter: () => strict(getter()) });
  }
  underway.delete(schema);
  strictTwins.set(schema, out);
  return out;
}

/**
 * The field names an object at `path` of `schema` declares (all of them, across union branches),
 * so an unknown-field error can suggest the one that was meant.
 */
export function fieldsAt(schema: Schema, path: ReadonlyArray<PropertyKey>): string[] {
  let nodes: Schema[] = [schema];
  for (const step of [...path, null]) {
    const next: Schema[] = [];
    const seen = new Set<Schema>();
    const visit = (node: Schema, depth: number): void => {
      if (seen.has(node) || depth > 20) return;
      seen.add(node);
      const def = defOf(node);
      if (WRAPPERS.has(def.type)) return visit(def.innerType as Schema, depth + 1);
      if (def.type === 'pipe') return visit(def.in as Schema, depth + 1);
      if (def.type === 'lazy') return visit((def.getter as () => Schema)(), depth + 1);
      if (def.type === 'union') return (def.options as Schema[]).forEach((o) => visit(o, depth + 1));
      if (def.type === 'intersection') return [def.left, def.right].forEach((o) => visit(o as Schema, depth + 1));
      if (step === null) {
        if (def.type === 'object') next.push(node);
        return;
      }
      if (def.type === 'object') {
        const field = (def.shape as Record<string, Schema>)[String(step)];
        if (field) next.push(field);
      } else if (def.type === 'array' && typeof step === 'number') next.push(def.element as Schema);
      else if (def.type === 'record') next.push(def.valueType as Schema);
      else if (def.type === 'tuple' && typeof step === 'number') {
        const item = (def.items as Schema[])[step] ?? (def.rest as Schema | null);
        if (item) next.push(item);
      }
    };
    for (const node of nodes) visit(node, 0);
    nodes = next;
  }
  return [...new Set(nodes.flatMap((node) => Object.keys(defOf(node).shape as Record<string, Schema>)))];
}
