/**
 * Lists (docs/LISTS.md): an address on the gateway's domains that fans each message out to its
 * member agents, one copy each; `post_policy` says who may post.
 */
import { z } from 'zod';
import { LIST_POST_POLICIES } from '../values.js';
import { Timestamp, page } from './primitives.js';

export { LIST_POST_POLICIES };

/** `members`: only member agents may post. `contacts`: members and their contacts (docs/CONTACTS.md). `anyone_verified`: any sender whose DMARC verified, and any agent of this gateway. */
export type ListPostPolicy = (typeof LIST_POST_POLICIES)[number];

const listFields = {
  name: z.string().min(1).max(100),
  description: z.string().max(2000),
  post_policy: z.enum(LIST_POST_POLICIES),
};

/** POST /v1/lists: exactly one of `address` or `local_part` (on the shared domain); `name` defaults to the local part. */
export const CreateListRequest = z
  .object({
    address: z.string().max(254).optional(),
    local_part: z.string().min(1).max(64).optional(),
    name: listFields.name.optional(),
    description: listFields.description.default(''),
    post_policy: listFields.post_policy,
  })
  .refine((v) => (v.address === undefined) !== (v.local_part === undefined), { message: 'give exactly one of address or local_part' })
  .meta({ id: 'CreateListRequest' });
export type CreateListRequest = z.input<typeof CreateListRequest>;

/** PATCH /v1/lists/{address}: the fields to change; the address cannot change. */
export const UpdateListRequest = z
  .object({ name: listFields.name.optional(), description: listFields.description.optional(), post_policy: listFields.post_policy.optional() })
  .meta({ id: 'UpdateListRequest' });
export type UpdateListRequest = z.input<typeof UpdateListRequest>;

export const List = z
  .object({
    id: z.string(),
    address: z.string(),
    ...listFields,
    /** RFC 2919 List-Id each copy carries: `<name.address-with-the-@-as-a-dot>`. */
    list_id: z.string(),
    member_count: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'List' });
export type List = z.infer<typeof List>;

export const ListPage = page(List).meta({ id: 'ListPage' });
export type ListPage = z.infer<typeof ListPage>;

/** POST /v1/lists/{address}/members: an agent of the list's account. */
export const AddListMemberRequest = z.object({ agent_address: z.string().min(3).max(254) }).meta({ id: 'AddListMemberRequest' });
export type AddListMemberRequest = z.infer<typeof AddListMemberRequest>;

export const ListMember = z.object({ agent_address: z.string(), joined_at: Timestamp }).meta({ id: 'ListMember' });
export type ListMember = z.infer<typeof ListMember>;

export const ListMemberPage = page(ListMember).meta({ id: 'ListMemberPage' });
export type ListMemberPage = z.infer<typeof ListMemberPage>;
