/** Tool arguments the agent and account tools share, described once for the model. */
import { z } from 'zod';

/** A page size: at most `max`, `dflt` when not given. */
export const limit = (max: number, dflt: number) => z.number().int().min(1).max(max).default(dflt).describe(`At most this many (default ${dflt})`);

export const cursor = z.string().max(512).optional().describe('next_cursor from the previous page');
