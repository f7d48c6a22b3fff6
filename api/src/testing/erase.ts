/**
 * Deleting an agent in a test that is about what the deletion leaves behind, not about the grace
 * period (docs/DATA.md): the confirmed DELETE, then the erasure carried out at once, as the worker
 * does once the grace period is over (its end moved to now rather than the clock moved past it).
 */
import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';

/** DELETE /v1/agents/{address}?confirm=…: the agent is disabled (202); its erasure's id. */
export async function requestAgentDeletion(gw: Pick<TestGateway, 'api'>, address: string, key?: string): Promise<string> {
  const res = await gw.api(`/v1/agents/${encodeURIComponent(address)}?confirm=${encodeURIComponent(address)}`, { method: 'DELETE', ...(key ? { key } : {}) });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** The agent deleted and erased now: afterwards none of its rows is left. */
export async function eraseAgentNow(gw: TestGateway, address: string): Promise<void> {
  const id = await requestAgentDeletion(gw, address);
  await gw.gateway.database.db.updateTable('erasures').set({ erase_after: new Date(0) }).where('id', '=', id).execute();
  await gw.gateway.erasure.sweepOnce();
  const row = await gw.gateway.database.db.selectFrom('erasures').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  expect(row.status).toBe('done');
}
