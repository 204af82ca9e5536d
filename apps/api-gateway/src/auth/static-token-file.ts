import { ConfigError } from '@skiff/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserInfo } from './request-user';

/**
 * Upstream's --token-auth-file: CSV lines `token,user,uid,"group1,group2"` (groups optional). Tokens are kept and
 * compared as SHA-256 digests, in constant time.
 */
export class StaticTokenFile {
  private readonly entries: { digest: Buffer; user: UserInfo }[];

  constructor(text: string, file = 'token file') {
    this.entries = [];
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      const fields = csvFields(line.trim());
      if (fields.length < 3 || !fields[0] || !fields[1])
        throw new ConfigError('SKIFF_TOKEN_AUTH_FILE', `${file}:${i + 1}: expected token,user,uid[,"group1,group2"]`);
      const groups = (fields[3] ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      this.entries.push({
        digest: sha256(fields[0]),
        user: { username: fields[1], ...(fields[2] ? { uid: fields[2] } : {}), groups },
      });
    }
  }

  static read(file: string): StaticTokenFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError('SKIFF_TOKEN_AUTH_FILE', `cannot read ${file}: ${(err as Error).message}`);
    }
    return new StaticTokenFile(text, file);
  }

  /** The user the token belongs to (without system:authenticated: the chain adds it). */
  userFor(token: string): UserInfo | undefined {
    const digest = sha256(token);
    return this.entries.find((e) => timingSafeEqual(e.digest, digest))?.user;
  }
}

// One CSV record: fields split on commas outside double quotes; "" inside quotes is a quote.
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
