/**
 * The wire format's enumerations as plain values, with no dependency: `@e2a/sdk/values` gives them
 * to code that needs the allowed values without loading the schemas (the CLI lists them in its help
 * before any request is made). The schemas in wire/ are built from these.
 */
export const GATE_POLICIES = ['open', 'allowlist', 'domain'] as const;
export const GATE_ACTIONS = ['flag', 'review', 'block'] as const;
export const SCAN_SENSITIVITIES = ['off', 'low', 'medium', 'high'] as const;
/** Who sees an agent's card (docs/CARDS.md). */
export const CARD_VISIBILITIES = ['account', 'public'] as const;
/** Who should write to an agent, as its card says (advisory; its protection enforces). */
export const CONTACT_POLICIES = ['open', 'contacts_only', 'closed'] as const;
