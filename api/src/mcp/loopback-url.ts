/**
 * The URL at which this process reaches its own HTTP API. A wildcard listen address (0.0.0.0, ::)
 * is not an address to connect to, so it becomes the loopback of the same family.
 */
export function loopbackUrl(listenHost: string, port: number): string {
  const host = listenHost.replace(/^\[|\]$/g, '');
  const target = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${target.includes(':') ? `[${target}]` : target}:${port}`;
}
