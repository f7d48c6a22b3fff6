/** `e2a`: the command line for the e2a gateway. */
import { Command } from 'commander';
import { accountCommands } from './commands/account.js';
import { accountDataCommands } from './commands/account-data.js';
import { agentCommands } from './commands/agents.js';
import { cardCommands } from './commands/cards.js';
import { listCommands } from './commands/lists.js';
import { contactCommands } from './commands/contacts.js';
import { conversationCommands } from './commands/conversations.js';
import { dashboardCommand } from './commands/dashboard.js';
import { keyCommands } from './commands/keys.js';
import { doctorCommand } from './commands/doctor.js';
import { listenCommand } from './commands/listen.js';
import { mcpCommand } from './commands/mcp.js';
import { messageCommands } from './commands/messages.js';
import { labelCommands } from './commands/labels.js';
import { domainCommands } from './commands/domains.js';
import { draftCommands } from './commands/drafts.js';
import { outboxCommands } from './commands/outbox.js';
import { retentionCommands } from './commands/retention.js';
import { protectionCommands } from './commands/protection.js';
import { reviewCommands } from './commands/reviews.js';
import { sendCommands } from './commands/send.js';
import { eventCommands, webhookCommands } from './commands/webhooks.js';
import { createContext, type Context } from './context.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import { commanderOutput, reportFailure, wantsJson } from './failure.js';
import { loadSdk } from './sdk.js';
import { cliVersion } from './version.js';

export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command('e2a')
    .description('Email for AI agents: read, send and listen through an e2a gateway')
    .version(cliVersion(), '-V, --version', 'print the version of e2a')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .configureOutput(commanderOutput(Boolean(options.json)))
    .exitOverride()
    // Every command's action may use the SDK; help, --version and usage errors end before this.
    .hook('preAction', async () => {
      await loadSdk();
    })
    .addHelpText(
      'after',
      `\nSettings come from E2A_API_URL, E2A_API_KEY, E2A_AGENT_EMAIL, or \`e2a login\` / \`e2a config set\`.\n\nExamples:\n  e2a login --url http://127.0.0.1:8080 --key e2a_…\n  e2a agents create bot\n  e2a messages list --agent bot@agents.localhost --unread\n\n${EXIT_HELP}`,
    );
  let context: Context | null = null;
  const ctx = () => (context ??= createContext({ json: Boolean(program.opts().json) }));
  accountCommands(program, ctx);
  accountDataCommands(program, ctx);
  agentCommands(program, ctx);
  keyCommands(program, ctx);
  messageCommands(program, ctx);
  conversationCommands(program, ctx);
  labelCommands(program, ctx);
  retentionCommands(program, ctx);
  sendCommands(program, ctx);
  draftCommands(program, ctx);
  listenCommand(program, ctx);
  reviewCommands(program, ctx);
  webhookCommands(program, ctx);
  eventCommands(program, ctx);
  domainCommands(program, ctx);
  protectionCommands(program, ctx);
  cardCommands(program, ctx);
  listCommands(program, ctx);
  contactCommands(program, ctx);
  outboxCommands(program, ctx);
  dashboardCommand(program, ctx);
  doctorCommand(program, ctx);
  mcpCommand(program, ctx);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  const program = buildProgram({ json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return reportFailure(err, json);
  }
}
