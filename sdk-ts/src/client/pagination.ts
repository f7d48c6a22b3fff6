/** Cursor pages as an async iterator: `for await (const m of client.messages.iterate(addr)) …`. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}
