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

  /**
   * Single use: the pre-receive hook calls back exactly once per push, and anything else that learns
   * the token during the push (a build, a process the push starts) must not be able to call again.
   */
  take(token: string | undefined): PushSession | undefined {
    if (!token) return undefined;
    const session = this.sessions.get(token);
    if (session) this.sessions.delete(token);
    return session;
  }

  close(token: string): void {
    this.sessions.delete(token);
  }
}
