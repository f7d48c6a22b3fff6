/**
 * Capability cards and the directory (docs/CARDS.md): what an agent does, what it accepts, who
 * should write to it; `visibility` decides who finds it.
 */
import { z } from 'zod';
import { CARD_VISIBILITIES, CONTACT_POLICIES } from '../values.js';
import { PageQuery, Timestamp, page } from './primitives.js';

export { CARD_VISIBILITIES, CONTACT_POLICIES };

/** The card format this gateway writes; a card names it in the well-known document. */
export const CARD_SCHEMA = 'e2a.card/1';

/** `account`: only keys of the owning account see the card. `public`: everyone, also without a key. */
export type CardVisibility = (typeof CARD_VISIBILITIES)[number];

/**
 * Who should write to the agent, advisory (the inbound gate of its protection is what enforces):
 * `open` anyone; `contacts_only` only people and agents it already corresponds with or was
 * introduced to; `closed` nobody unsolicited (it writes first).
 */
export type ContactPolicy = (typeof CONTACT_POLICIES)[number];

/** A skill tag: ASCII letters, digits and `. _ + # -`; stored lowercase (`invoice-processing`, `c++`). */
export const CardSkill = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+#-]*$/, 'a skill is letters, digits and . _ + # - (e.g. invoice-processing), starting with a letter or digit');

/** An RFC 6838 media type without parameters; `type/*` accepts a whole top-level type. */
export const CardMediaType = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}|\*)$/, 'a media type is type/subtype (text/plain, application/pdf, image/*), without parameters');

/** A BCP 47 language tag (`en`, `pt-BR`, `zh-Hant`); stored in canonical case. */
export const CardLanguage = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'a language is a BCP 47 tag such as en, de-CH or zh-Hant');

/** A structured-message schema the agent understands, `name/major` (`e2a.card/1`). */
export const CardSchemaVersion = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9.-]*\/[0-9]{1,6}$/, 'a schema version is name/major in lowercase, e.g. e2a.card/1');

const cardFields = {
  display_name: z.string().min(1).max(100).nullable(),
  description: z.string().max(2000),
  skills: z.array(CardSkill).max(32),
  accepted_content_types: z.array(CardMediaType).max(32),
  languages: z.array(CardLanguage).max(16),
  contact_policy: z.enum(CONTACT_POLICIES),
  schema_versions: z.array(CardSchemaVersion).max(16),
};

/**
 * PUT /v1/agents/{address}/card: the whole card (omitted fields take their defaults), except
 * `visibility`, which an omission leaves as it is (`account` for a new card).
 */
export const AgentCardInput = z
  .object({
    display_name: cardFields.display_name.default(null),
    description: cardFields.description.default(''),
    skills: cardFields.skills.default([]),
    accepted_content_types: cardFields.accepted_content_types.default([]),
    languages: cardFields.languages.default([]),
    contact_policy: cardFields.contact_policy.default('open'),
    schema_versions: cardFields.schema_versions.default([]),
    visibility: z.enum(CARD_VISIBILITIES).optional(),
  })
  .meta({ id: 'AgentCardInput' });
export type AgentCardInput = z.input<typeof AgentCardInput>;

export const AgentCard = z
  .object({
    address: z.string(),
    ...cardFields,
    visibility: z.enum(CARD_VISIBILITIES),
    updated_at: Timestamp,
  })
  .meta({ id: 'AgentCard' });
export type AgentCard = z.infer<typeof AgentCard>;

/** GET /.well-known/e2a/agents/{address}.json: a public card, for agents without a key. */
export const PublicAgentCard = z
  .object({
    schema: z.literal(CARD_SCHEMA),
    address: z.string(),
    ...cardFields,
    updated_at: Timestamp,
  })
  .meta({ id: 'PublicAgentCard' });
export type PublicAgentCard = z.infer<typeof PublicAgentCard>;

/** GET /v1/directory: `q` full-text (web search syntax: words, "a phrase", -not, or), `tag` one exact skill. */
export const DirectoryQuery = PageQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  q: z.string().max(200).optional(),
  tag: CardSkill.optional(),
});
export type DirectoryQuery = z.input<typeof DirectoryQuery>;

export const DirectoryPage = page(AgentCard).meta({ id: 'DirectoryPage' });
export type DirectoryPage = z.infer<typeof DirectoryPage>;
