/** Web dashboard sign-in: one-time sign-in links and the browser sessions they open. */
import { z } from 'zod';
import { Timestamp } from './primitives.js';

export const SignInLink = z
  .object({
    /** `<public_url>/sign-in/<token>`: opening it in a browser signs in once. */
    url: z.string(),
    expires_at: Timestamp,
  })
  .meta({ id: 'SignInLink' });
export type SignInLink = z.infer<typeof SignInLink>;

export const SignInEmailRequest = z
  .object({ email: z.string().max(254) })
  .meta({ id: 'SignInEmailRequest' });
export type SignInEmailRequest = z.infer<typeof SignInEmailRequest>;

export const SignInEmailAccepted = z
  .object({ message: z.string() })
  .meta({ id: 'SignInEmailAccepted' });
export type SignInEmailAccepted = z.infer<typeof SignInEmailAccepted>;

export const DashboardSession = z
  .object({
    id: z.string(),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    expires_at: Timestamp,
    /** The browser's User-Agent when it signed in, for recognising the session. */
    user_agent: z.string().nullable(),
    /** The session this request was made with. */
    current: z.boolean(),
  })
  .meta({ id: 'DashboardSession' });
export type DashboardSession = z.infer<typeof DashboardSession>;

/** The account's active sessions, newest first (expired and revoked ones are not listed). */
export const DashboardSessionList = z.object({ items: z.array(DashboardSession) }).meta({ id: 'DashboardSessionList' });
export type DashboardSessionList = z.infer<typeof DashboardSessionList>;
