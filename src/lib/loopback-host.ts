/** Whether a URL's host name is this machine: `localhost`, a `*.localhost` name, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
    || host === '::1' || host === '0:0:0:0:0:0:0:1';
}
