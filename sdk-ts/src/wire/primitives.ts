/** The small shapes every resource is built from: timestamps, addresses, cursor pages. */
import { z } from 'zod';

/** RFC 3339 timestamp in UTC, as every time on the wire is written. */
export const Timestamp = z.iso.datetime({ offset: true });

/** A cursor page: `next_cursor` is null on the last page. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const EmailAddress = z.object({ address: z.string(), name: z.string().nullable() });
export type EmailAddress = z.infer<typeof EmailAddress>;
