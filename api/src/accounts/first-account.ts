/**
 * The account `serve` creates on first start, and the banner that says where its mail goes.
 *
 * Review mail for that account, and postmaster@/abuse@ mail when no postmaster_address is set, go to
 * its email, so it has to be a human's mailbox: `admin_email` (`--admin-email`, E2A_ADMIN_EMAIL).
 * Without one a development instance still starts, as admin@<shared_domain>, an address no mailbox
 * answers (no tenant may take it: agents/reserved.ts); the banner says so and how to fix it, and a
 * later start with admin_email moves that account to the real address. Production refuses to create
 * the account without it rather than start with review mail going nowhere.
 */
import type { Config } from '../config.js';
import { configKeyError } from '../config.js';
import type { Database } from '../db/database.js';
import type { SignInLink } from '@e2a/sdk/wire';
import type { AccountsService } from './service.js';

export interface FirstStart {
  /** Lines for stdout (the API key is among them: it is shown once), or none. */
  banner: string[];
  /** For the log: the first account still has an address that receives nothing. */
  warning: string | null;
}

/** The address the first account gets when no admin_email is given. */
export const placeholderAdmin = (config: Pick<Config, 'shared_domain'>) => `admin@${config.shared_domain}`;

/** True when mail to `email` reaches somebody: not empty, not on the shared domain (no mailbox there is a human's). */
function reachable(email: string, config: Pick<Config, 'shared_domain'>): boolean {
  return email !== '' && email.slice(email.lastIndexOf('@') + 1).toLowerCase() !== config.shared_domain;
}

const FIX = 'restart with --admin-email you@example.com (or E2A_ADMIN_EMAIL)';

export async function firstStart(deps: {
  db: Database;
  accounts: AccountsService;
  config: Config;
  /** A one-time dashboard sign-in link for the new account (accounts/dashboard-sessions.ts). */
  signInLink?: (userId: string) => Promise<SignInLink>;
}): Promise<FirstStart> {
  const { db, accounts, config } = deps;
  const adminEmail = config.admin_email.trim().toLowerCase();
  const placeholder = placeholderAdmin(config);

  if (await accounts.hasUsers()) {
    // A development start without admin_email left the placeholder: adopt the real address now.
    if (reachable(adminEmail, config)) {
      const moved = await db
        .updateTable('users')
        .set({ email: adminEmail })
        .where('email', '=', placeholder)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('users as u').select('u.id').where('u.email', '=', adminEmail))))
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) > 0) {
        return { banner: ['', `  The admin account ${placeholder} now has the address ${adminEmail}.`, ...whereMailGoes(adminEmail, config), ''], warning: null };
      }
    }
    const stillPlaceholder = await db.selectFrom('users').select('id').where('email', '=', placeholder).executeTakeFirst();
    return {
      banner: [],
      warning: stillPlaceholder ? `the admin account is ${placeholder}, which receives no mail: review and postmaster mail for it reach nobody; ${FIX}` : null,
    };
  }

  if (!reachable(adminEmail, config)) {
    if (config.env === 'production') {
      throw configKeyError(
        'admin_email',
        adminEmail === ''
          ? `production needs the first account's email, a human's mailbox where review and postmaster mail go; pass --admin-email you@example.com`
          : `${adminEmail} is on the shared domain ${config.shared_domain}, where no mailbox is a human's; pass --admin-email with an address outside it`,
      );
    }
  }
  const email = adminEmail === '' ? placeholder : adminEmail;
  const admin = await accounts.bootstrap(email);
  const banner = [
    '',
    `  e2a is running. An admin account was created: ${admin.email}`,
    `  API URL: ${config.public_url}`,
    `  API key: ${admin.apiKey.key}`,
    '  This key is shown once. Keep it: export E2A_API_KEY=…',
    ...(deps.signInLink ? dashboardLines(await deps.signInLink(admin.userId)) : []),
    ...whereMailGoes(admin.email, config),
  ];
  if (!reachable(admin.email, config)) {
    banner.push(
      `  WARNING: ${admin.email} is not a real mailbox: review mail and postmaster@/abuse@ mail sent there reach nobody.`,
      `  Fix: ${FIX}; this account then takes that address.`,
    );
  }
  banner.push('');
  return { banner, warning: null };
}

function dashboardLines(link: SignInLink): string[] {
  return [`  Dashboard: ${link.url}`, `  (this link signs a browser in once, until ${link.expires_at}; later: e2a dashboard --open)`];
}

function whereMailGoes(adminEmail: string, config: Pick<Config, 'postmaster_address'>): string[] {
  const postmaster = config.postmaster_address || adminEmail;
  return [
    `  Review mail for this account goes to: ${adminEmail} (an agent's review_notify overrides it)`,
    `  postmaster@ and abuse@ mail goes to: ${postmaster}${config.postmaster_address ? ' (postmaster_address)' : ' (set postmaster_address to change it)'}`,
  ];
}
