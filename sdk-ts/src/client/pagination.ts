/** Cursor pages as an async iterator: `for await (const m of client.messages.iterate(addr)) …`. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** The query every list takes (PageQuery on the wire); the server defaults `limit` to 50. */
export type PageParams = { limit?: number; cursor?: string };

/** Fetches page after page, handing each page's `next_cursor` to the next call, until the last. */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}
