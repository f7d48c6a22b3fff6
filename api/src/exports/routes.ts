import { AccountExport, AccountExportPage, EXPORT_MEDIA_TYPE, PageQuery } from '@e2a/sdk/wire';
import { StreamBody, type RouteTable } from '../http/route.js';
import type { ExportsService } from './service.js';

export function exportRoutes(routes: RouteTable, exports: ExportsService): void {
  const tag = 'account';
  routes.add(
    {
      method: 'post',
      path: '/v1/account/export',
      operationId: 'accountExports.create',
      summary: 'Start an export of everything the account holds (202; one at a time: a second request answers with the running one). Account keys only',
      tag,
      response: AccountExport,
      status: 202,
    },
    ({ principal }) => exports.start(principal),
  );
  routes.add(
    { method: 'get', path: '/v1/account/exports', operationId: 'accountExports.list', summary: "The account's exports, newest first (account keys only)", tag, query: PageQuery, response: AccountExportPage },
    ({ principal, query }) => exports.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/account/exports/:id', operationId: 'accountExports.get', summary: 'An export: status and progress (messages done of total), account keys only', tag, response: AccountExport },
    ({ principal, params }) => exports.get(principal, params.id!),
  );
  routes.add(
    {
      method: 'get',
      path: '/v1/account/exports/:id/download',
      operationId: 'accountExports.download',
      summary: 'The finished archive (tar, docs/DATA.md); 409 while the job runs, 410 once it expired. Account keys only',
      tag,
      produces: EXPORT_MEDIA_TYPE,
      errors: ['conflict', 'gone'],
    },
    async ({ principal, params }) => {
      const archive = await exports.download(principal, params.id!);
      return new StreamBody(archive.chunks, EXPORT_MEDIA_TYPE, archive.size, { 'Content-Disposition': `attachment; filename="e2a-export-${archive.id}.tar"` });
    },
  );
}
