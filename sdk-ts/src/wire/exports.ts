/** Account exports (docs/DATA.md): a job that builds a tar archive of everything the account holds. */
import { z } from 'zod';
import { Timestamp, page } from './primitives.js';

export const EXPORT_STATUSES = ['queued', 'running', 'done', 'failed', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** The archive's media type and format version (docs/DATA.md "Export format"). */
export const EXPORT_MEDIA_TYPE = 'application/x-tar';
export const EXPORT_FORMAT_VERSION = 1;

export const AccountExport = z
  .object({
    id: z.string(),
    /** queued → running → done (downloadable until expires_at) → expired; failed after repeated errors. */
    status: z.enum(EXPORT_STATUSES),
    /** Messages written into the archive so far, and how many the account had when the job started. */
    messages_done: z.number().int(),
    messages_total: z.number().int(),
    /** The archive's size in bytes so far (the download's Content-Length once done). */
    size_bytes: z.number().int(),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
    /** When a finished archive is deleted (exports.retention_hours after completion); null before. */
    expires_at: Timestamp.nullable(),
    /** Why the job failed; null otherwise. */
    error: z.string().nullable(),
  })
  .meta({ id: 'AccountExport' });
export type AccountExport = z.infer<typeof AccountExport>;

export const AccountExportPage = page(AccountExport).meta({ id: 'AccountExportPage' });
export type AccountExportPage = z.infer<typeof AccountExportPage>;
