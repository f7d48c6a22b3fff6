/** What an agent's mailbox holds, read through the public API as a client would. */

/** Every stored Message-ID header (without <>) of `agent`, paging through GET …/messages. */
export async function storedMessageIds(httpUrl: string, apiKey: string, agent: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${httpUrl}/v1/agents/${encodeURIComponent(agent)}/messages?${query}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (res.status !== 200) throw new Error(`listing ${agent}'s messages: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { items: Array<{ message_id_header: string | null }>; next_cursor: string | null };
    for (const item of body.items) ids.push((item.message_id_header ?? '').replace(/^<|>$/g, ''));
    cursor = body.next_cursor;
    if (!cursor) return ids;
  }
  throw new Error('more than 100 pages: the cursor does not advance');
}

/** How many times each value occurs. */
export function tally(values: string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1);
  return map;
}
