// What `scalarium notifiers:add NAME --email ADDRESS[,ADDRESS…]` gives, checked: one address or a
// comma-separated list of them. What is kept is { to: "a@example.org, b@example.org" }; the SMTP
// server and its password are the server's (smtp-config.ts), never a notifier's.
import { isAddress } from './addresses.ts';
import { invalidEmail, smtpNotConfigured } from './errors.ts';
import type { SmtpSetup } from './smtp-config.ts';

export const MAX_RECIPIENTS = 20;

export async function emailSettings(input: Record<string, unknown>, smtp: SmtpSetup): Promise<Record<string, string>> {
  if (!smtp.config) throw smtpNotConfigured({ missing: smtp.missing.join(' and ') });
  return { to: recipients(input.email).join(', ') };
}

function recipients(value: unknown): string[] {
  const refuse = (reason: string) => invalidEmail({ reason, max: MAX_RECIPIENTS });
  if (typeof value !== 'string' || !value.trim()) throw refuse('needs an address');
  const list = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (!list.length) throw refuse('needs an address');
  const wrong = list.find((entry) => !isAddress(entry));
  if (wrong !== undefined) throw refuse(`${JSON.stringify(wrong.slice(0, 80))} is not an email address`);
  // Domains are case-insensitive (and nodemailer writes them in lower case): kept as they are sent.
  const normal = list.map((entry) => entry.replace(/@.*$/, (domain) => domain.toLowerCase()));
  const unique = normal.filter((entry, i) => normal.findIndex((other) => other.toLowerCase() === entry.toLowerCase()) === i);
  if (unique.length > MAX_RECIPIENTS) throw refuse(`has ${unique.length} addresses, more than ${MAX_RECIPIENTS}`);
  return unique;
}
