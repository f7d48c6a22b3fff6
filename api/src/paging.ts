/**
 * Keyset pagination cursors. Ids are time-ordered, so a cursor is the last id of the page, wrapped
 * so clients treat it as opaque.
 */
import { AppError } from './errors.js';

export function encodeCursor(lastId: string): string {
  return Buffer.from(`v1:${lastId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('v1:') || !/^[a-z]+_[0-9a-z]+$/.test(text.slice(3))) {
    throw new AppError('validation_error', 'cursor is not one this API issued; pass next_cursor from the previous page unchanged');
  }
  return text.slice(3);
}

/**
 * Fetch limit+1 rows; the extra one tells whether there is a next page. The cursor is the last
 * row's id unless the listing pages by another key (`cursorOf`).
 */
export function toPage<T extends { id: string }, R>(rows: T[], limit: number, map: (row: T) => R, cursorOf: (row: T) => string = (row) => encodeCursor(row.id)): { items: R[]; next_cursor: string | null } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return { items: pageRows.map(map), next_cursor: more ? cursorOf(pageRows[pageRows.length - 1]!) : null };
}
