// The mail an alert becomes: the title as the subject, the text (and the alert's page) as a plain
// text body. Auto-Submitted keeps vacation responders from answering a machine (RFC 3834).
import type { AlertNotification } from '../../server/plugin-api.ts';

export interface AlertMail {
  subject: string;
  text: string;
  headers: Record<string, string>;
}

export function alertMail(n: AlertNotification): AlertMail {
  const subject = n.title.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const text = n.url && !n.text.includes(n.url) ? `${n.text}\n\n${n.url}\n` : `${n.text}\n`;
  return { subject, text, headers: { 'Auto-Submitted': 'auto-generated', 'X-Scalarium-Alert': n.state } };
}
