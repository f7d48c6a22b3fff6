/**
 * The directory's page cursor. Results are ordered by rank, then agent id, so a cursor holds both:
 * the next page starts strictly after that pair (keyset paging, as paging.ts does by id). The
 * rank is written as JavaScript prints the float8 the database returned, which reads back as the
 * same float8, so the comparison is exact.
 */
import { AppError } from '../errors.js';

export interface DirectoryPosition {
  rank: number;
  agentId: string;
}

const SHAPE = /^v1:([-+0-9.eE]{1,32}):([a-z]+_[0-9a-z]+)$/;

export function encodeDirectoryCursor(position: DirectoryPosition): string {
  return Buffer.from(`v1:${position.rank}:${position.agentId}`, 'utf8').toString('base64url');
}

export function decodeDirectoryCursor(cursor: string): DirectoryPosition {
  const match = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const rank = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isFinite(rank)) {
    throw new AppError('validation_error', 'cursor is not one this API issued; pass next_cursor from the previous page unchanged, with the same q and tag');
  }
  return { rank, agentId: match[2]! };
}
