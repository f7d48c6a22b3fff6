/**
 * Web Crypto where it is a global: browsers, edge runtimes, Deno, Bun. Chosen through the package's
 * `#crypto` import (sdk-ts/package.json "imports"); Node gets crypto-node.ts instead.
 */
export const webCrypto: Crypto = globalThis.crypto;
