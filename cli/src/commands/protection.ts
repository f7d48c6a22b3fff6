/** protection get|set: an agent's gates, content scan, holds and reviewers (account key). */
import type { Protection, ProtectionInput } from '@e2a/sdk';
import { GATE_ACTIONS, GATE_POLICIES, SCAN_SENSITIVITIES } from '@e2a/sdk/values';
import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { readObjectFile } from '../document-file.js';
import { collect } from '../repeatable.js';
import { durationOption } from '../values.js';

interface SetOptions {
  agent?: string;
  file?: string;
  inboundPolicy?: Protection['inbound']['policy'];
  inboundAllow: string[];
  inboundAction?: Protection['inbound']['action'];
  outboundPolicy?: Protection['outbound']['policy'];
  outboundAllow: string[];
  outboundAction?: Protection['outbound']['action'];
  scan?: Protection['content_scan']['sensitivity'];
  scanAction?: Protection['content_scan']['action'];
  holdFor?: number;
  onExpiry?: Protection['holds']['on_expiry'];
  notify: string[];
}


function summary(p: Protection): string {
  const gate = (g: Protection['inbound']) => `${g.policy}${g.allowlist.length ? ` [${g.allowlist.join(', ')}]` : ''}, otherwise ${g.action}`;
  return [
    `inbound:       ${gate(p.inbound)}`,
    `outbound:      ${gate(p.outbound)}`,
    `content scan:  ${p.content_scan.sensitivity}${p.content_scan.sensitivity === 'off' ? '' : `, then ${p.content_scan.action}`}`,
    `holds:         ${p.holds.ttl_seconds} s, then ${p.holds.on_expiry}`,
    `reviewers:     ${p.review_notify.length ? p.review_notify.join(', ') : '(the account owner)'}`,
  ].join('\n');
}

export function protectionCommands(program: Command, ctx: () => Context): void {
  const protection = program.command('protection').description("an agent's protection: inbound and outbound gates, content scan, holds, reviewers (account key)");
  protection
    .command('get')
    .option('--agent <address>')
    .action(async (opts: { agent?: string }) => {
      const c = ctx();
      const p = await c.client().agents.getProtection(c.agent(opts.agent));
      c.print(p, () => summary(p));
    });
  protection
    .command('set')
    .description('change protection: from a file (JSON or YAML, replacing it) and/or flags (changing only what they name)')
    .option('--agent <address>')
    .option('--file <path>', 'the whole protection as JSON or YAML (- for stdin); flags apply on top')
    .addOption(new Option('--inbound-policy <policy>').choices(GATE_POLICIES))
    .option('--inbound-allow <address>', 'inbound allowlist entry, a@example.com or @example.com (repeatable; replaces the list)', collect, [])
    .addOption(new Option('--inbound-action <action>', 'for mail the inbound gate stops').choices(GATE_ACTIONS))
    .addOption(new Option('--outbound-policy <policy>').choices(GATE_POLICIES))
    .option('--outbound-allow <address>', 'outbound allowlist entry (repeatable; replaces the list)', collect, [])
    .addOption(new Option('--outbound-action <action>', 'for mail the outbound gate stops').choices(GATE_ACTIONS))
    .addOption(new Option('--scan <sensitivity>', 'content scan sensitivity').choices(SCAN_SENSITIVITIES))
    .addOption(new Option('--scan-action <action>').choices(GATE_ACTIONS))
    .option('--hold-for <duration>', 'how long held mail waits for a reviewer (1m to 30 days: 30m, 24h)', durationOption)
    .addOption(new Option('--on-expiry <decision>', 'what happens to held mail nobody decided').choices(['approve', 'reject']))
    .option('--notify <address>', 'reviewer address (repeatable; replaces the list)', collect, [])
    .addHelpText('after', '\nExamples:\n  e2a protection set --agent bot@agents.example.com --outbound-policy allowlist --outbound-allow @example.com --outbound-action review\n  e2a protection set --agent bot@agents.example.com --file protection.yaml')
    .action(async (opts: SetOptions) => {
      const c = ctx();
      const agent = c.agent(opts.agent);
      const client = c.client();
      const base: ProtectionInput = opts.file ? ((await readObjectFile(opts.file, 'a protection', '{"outbound": {"policy": "allowlist", "allowlist": ["@example.com"]}}')) as ProtectionInput) : await client.agents.getProtection(agent);
      const gate = (current: ProtectionInput['inbound'], policy?: string, allow: string[] = [], action?: string) => ({
        ...current,
        ...(policy ? { policy } : {}),
        ...(allow.length ? { allowlist: allow } : {}),
        ...(action ? { action } : {}),
      });
      const next = {
        ...base,
        inbound: gate(base.inbound, opts.inboundPolicy, opts.inboundAllow, opts.inboundAction),
        outbound: gate(base.outbound, opts.outboundPolicy, opts.outboundAllow, opts.outboundAction),
        content_scan: { ...base.content_scan, ...(opts.scan ? { sensitivity: opts.scan } : {}), ...(opts.scanAction ? { action: opts.scanAction } : {}) },
        holds: { ...base.holds, ...(opts.holdFor !== undefined ? { ttl_seconds: Math.round(opts.holdFor / 1000) } : {}), ...(opts.onExpiry ? { on_expiry: opts.onExpiry } : {}) },
        ...(opts.notify.length ? { review_notify: opts.notify } : {}),
      } as ProtectionInput;
      const saved = await client.agents.setProtection(agent, next);
      c.print(saved, () => `Protection of ${agent}:\n${summary(saved)}`);
    });
}
