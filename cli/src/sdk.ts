/**
 * The SDK, loaded when a command is about to run (main.ts's preAction hook) rather than when the
 * CLI starts: importing it (zod and the wire schemas) is most of a bare start, ~130 of ~170 ms on
 * a 2-core machine, and `e2a --help`, `--version` and usage errors never need it
 * (docs/PERFORMANCE.md, "Start-up and CLI"). Types come from `import type`, which costs nothing.
 */
type Sdk = typeof import('@e2a/sdk');

let loaded: Sdk | undefined;

export async function loadSdk(): Promise<Sdk> {
  return (loaded ??= await import('@e2a/sdk'));
}

/** The SDK if a command has loaded it; before that no error can be one of its classes. */
export function loadedSdk(): Sdk | undefined {
  return loaded;
}

/** The SDK, inside a command's action (the hook has loaded it by then). */
export function sdk(): Sdk {
  if (!loaded) throw new Error('the SDK is used before a command ran: call loadSdk() first');
  return loaded;
}
