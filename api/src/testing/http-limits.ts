/** HTTP limits switched off, for tests that build the express app by hand. */
import { HttpLimits, type ApiRateLimits } from '../limits/http-limits.js';

export const API_LIMITS_OFF: ApiRateLimits = {
  requestsPerKeyPerMinute: 0,
  requestsPerClientPerMinute: 0,
  failedAuthPerClientPerHour: 0,
  sendsPerAgentPerMinute: 0,
  sendsPerAgentPerDay: 0,
  webhookTestsPerAccountPerHour: 0,
  reviewLinkAttemptsPerClientPerHour: 0,
  contactApprovalsPerClientPerHour: 0,
  signInLinkAttemptsPerClientPerHour: 0,
  signInEmailsPerClientPerHour: 0,
  signInEmailsPerAddressPerHour: 0,
  websocketConnectsPerKeyPerMinute: 0,
  websocketUnauthenticatedPerClientPerMinute: 0,
};

/** Every limit 0 (off): no rule is ever charged, so no database is needed either. */
export function httpLimitsOff(): HttpLimits {
  return new HttpLimits({
    limiter: { consume: async () => ({ allowed: true, tightest: null }), refusedFromMemory: () => null },
    limits: API_LIMITS_OFF,
  });
}
