/**
 * A search's page cursor. Hits are ordered by rank, then message id, so a cursor holds both and the
 * next page starts strictly after that pair (keyset paging, as paging.ts does by id alone). The rank
 * is written as JavaScript prints the float8 the database returned, which reads back as the same
 * float8, so the comparison is exact (as cards/directory-cursor.ts).
 */
import { AppError } from '../errors.js';

export interface SearchPosition {
  rank: number;
  id: string;
}

const SHAPE = /^s1:([-+0-9.eE]{1,32}):([a-z]+_[0-9a-z]+)$/;

export function encodeSearchCursor(position: SearchPosition): string {
  return Buffer.from(`s1:${position.rank}:${position.id}`, 'utf8').toString('base64url');
}

export function decodeSearchCursor(cursor: string): SearchPosition {
  const match = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const rank = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isFinite(rank)) {
    throw new AppError('validation_error', 'cursor is not one this search issued; pass next_cursor from the previous page unchanged, with the same q and filters', [
      { path: 'query.cursor', message: 'not a search cursor' },
    ]);
  }
  return { rank, id: match[2]! };
}
