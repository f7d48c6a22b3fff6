/**
 * Web Crypto on Node (the `node` condition of the package's `#crypto` import): Node 19 and later
 * expose it as `globalThis.crypto`; Node 18 only as `node:crypto`.webcrypto, the same object.
 */
import { webcrypto } from 'node:crypto';

export const webCrypto: Crypto = (globalThis.crypto ?? webcrypto) as Crypto;
