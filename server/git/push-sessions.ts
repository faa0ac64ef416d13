// One-time tokens that tie a pre-receive hook call to the authenticated push that started it. They
// live in memory only as long as the `git http-backend` process of that push.
import crypto from 'node:crypto';
import type { Principal } from '../db/identity.ts';

export interface PushSession { app: string; principal: Principal; source: string }

export class PushSessions {
  private readonly sessions = new Map<string, PushSession>();

  open(session: PushSession): string {
    const token = crypto.randomBytes(24).toString('base64url');
    this.sessions.set(token, session);
    return token;
  }

  take(token: string | undefined): PushSession | undefined {
    return token ? this.sessions.get(token) : undefined;
  }

  close(token: string): void {
    this.sessions.delete(token);
  }
}
