// One alert mail through the server's SMTP server, on a connection of its own (no pool: alerts are
// rare, and a pooled connection would outlive a stopped server). Every phase has a timeout
// (connecting, the greeting, a silent socket) and the whole send a deadline, so a hung mail server
// fails the attempt and alerting retries; the caller's signal ends it at once. Errors name the
// server as host:port, never its user or password, and nodemailer logs nothing.
import nodemailer from 'nodemailer';
import type { AlertMail } from './message.ts';
import type { SmtpConfig } from './smtp-config.ts';

export interface MailTimeouts {
  connectMs: number;
  greetingMs: number;
  socketMs: number;
  /** The whole send, from connecting to the server's answer to the message. */
  totalMs: number;
}

export const MAIL_TIMEOUTS: MailTimeouts = { connectMs: 10_000, greetingMs: 10_000, socketMs: 20_000, totalMs: 30_000 };

export async function sendMail(smtp: SmtpConfig, to: string, mail: AlertMail, timeouts: MailTimeouts, signal: AbortSignal): Promise<void> {
  const server = `${smtp.host.includes(':') ? `[${smtp.host}]` : smtp.host}:${smtp.port}`;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`the mail server ${server} did not take the mail within ${timeouts.totalMs / 1000} s`)), timeouts.totalMs);
  const both = AbortSignal.any([signal, deadline.signal]);
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTls,
    auth: smtp.auth,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    logger: false,
    debug: false,
  });
  try {
    await transport.sendMail({ from: smtp.from, to, subject: mail.subject, text: mail.text, headers: mail.headers, signal: both });
  } catch (error) {
    if (both.aborted) throw both.reason;
    throw new Error(`could not send email to ${to} through ${server}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}
