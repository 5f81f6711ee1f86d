/**
 * Cookieless visitor ids, as Plausible counts visitors: a hash of a daily random salt, the
 * project, the client IP and the User-Agent. The same browser gets the same id all day and
 * a new, unlinkable one the next day. Only today's salt exists: it is kept in
 * `<data>/visitor-salt.json` so a restart keeps today's ids, and is overwritten (so
 * discarded) when the UTC day changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DailyVisitorSalt {
  private day = '';
  private salt = '';

  constructor(private readonly dataDir: string) {
    try {
      const saved = JSON.parse(readFileSync(this.file(), 'utf8')) as { day?: string; salt?: string };
      if (typeof saved.day === 'string' && typeof saved.salt === 'string') {
        this.day = saved.day;
        this.salt = saved.salt;
      }
    } catch {
      // No salt yet, or an unreadable one: a new one is made on first use.
    }
  }

  private file(): string {
    return join(this.dataDir, 'visitor-salt.json');
  }

  /** Today's salt; a new day makes a new salt and overwrites the old one. */
  current(nowMs: number): string {
    const day = new Date(nowMs).toISOString().slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      this.salt = randomBytes(32).toString('base64url');
      const tmp = `${this.file()}.tmp`;
      writeFileSync(tmp, JSON.stringify({ day, salt: this.salt }), { mode: 0o600 });
      renameSync(tmp, this.file());
    }
    return this.salt;
  }

  /** The visitor id of a client on the day of `nowMs`. */
  visitorId(nowMs: number, projectId: string, ip: string, userAgent: string): string {
    const digest = createHash('sha256')
      .update(`${this.current(nowMs)}\n${projectId}\n${ip}\n${userAgent}`)
      .digest('base64url');
    return `v:${digest.slice(0, 22)}`;
  }
}
