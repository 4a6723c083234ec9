/**
 * Masks identifiers for logs (S34): enough to correlate, never enough to contact.
 * `jane@example.com` → `j***@example.com`, `+14155550123` → `+1*******0123`.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export function maskPhone(phone: string): string {
  if (phone.length <= 6) return '***';
  return `${phone.slice(0, 2)}${'*'.repeat(phone.length - 6)}${phone.slice(-4)}`;
}

export function maskDestination(channel: 'email' | 'mobile', destination: string): string {
  return channel === 'email' ? maskEmail(destination) : maskPhone(destination);
}
