/**
 * What a V8 heap snapshot (.heapsnapshot, from v8.writeHeapSnapshot) holds, grouped by kind and
 * constructor or function name, and the difference between two of them per unit (per listener, say):
 * which objects each added connection keeps alive. Self sizes only (no retained-size graph walk),
 * which is enough to see per-connection closures, contexts, timers and buffers.
 */
import { readFileSync } from 'node:fs';

export interface HeapGroup {
  group: string;
  count: number;
  bytes: number;
}

export interface HeapGrowth {
  group: string;
  countPerUnit: number;
  bytesPerUnit: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Kinds whose name is their content or an address, not a constructor: grouped by kind alone. */
const BY_KIND_ONLY = new Set(['string', 'concatenated string', 'sliced string', 'number', 'heap number', 'bigint', 'regexp', 'code']);

export function summariseHeap(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const kinds = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const kind = kinds[snap.nodes[i + typeAt]!] ?? '?';
    const name = snap.strings[snap.nodes[i + nameAt]!] ?? '';
    const group = BY_KIND_ONLY.has(kind) ? `(${kind})` : `${kind} ${name.slice(0, 60)}`;
    const g = groups.get(group) ?? { group, count: 0, bytes: 0 };
    g.count++;
    g.bytes += snap.nodes[i + sizeAt]!;
    groups.set(group, g);
  }
  return groups;
}

/** Groups that grew from `before` to `after`, per unit, largest first. */
export function heapGrowth(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, units: number): HeapGrowth[] {
  const out: HeapGrowth[] = [];
  for (const [group, a] of after) {
    const b = before.get(group) ?? { count: 0, bytes: 0 };
    if (a.bytes <= b.bytes) continue;
    out.push({ group, countPerUnit: (a.count - b.count) / units, bytesPerUnit: (a.bytes - b.bytes) / units });
  }
  return out.sort((x, y) => y.bytesPerUnit - x.bytesPerUnit);
}
