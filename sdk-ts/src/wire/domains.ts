import { z } from 'zod';
import { Timestamp } from './primitives.js';

export const DnsRecord = z.object({ type: z.enum(['TXT', 'MX', 'CNAME']), name: z.string(), value: z.string(), purpose: z.string() });

export const Domain = z
  .object({
    name: z.string(),
    /** The gateway's shared domain: every account may use it, nobody may verify or delete it. */
    shared: z.boolean(),
    verified: z.boolean(),
    verified_at: Timestamp.nullable(),
    /** What to publish: the ownership TXT, the MX, and once verified the DKIM key. */
    dns_records: z.array(DnsRecord),
    created_at: Timestamp,
  })
  .meta({ id: 'Domain' });
export type Domain = z.infer<typeof Domain>;

export const CreateDomainRequest = z.object({ name: z.string().min(3).max(253) }).meta({ id: 'CreateDomainRequest' });
export type CreateDomainRequest = z.infer<typeof CreateDomainRequest>;

export const DomainList = z.object({ items: z.array(Domain) }).meta({ id: 'DomainList' });
export type DomainList = z.infer<typeof DomainList>;
