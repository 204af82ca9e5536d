import { Logger } from '@nestjs/common';
import { auditEvent, AuditEvent } from '@skiff/api-server';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AuditLogWriter } from './audit-log.writer';

function event(i: number): AuditEvent {
  return auditEvent(
    {
      auditID: `id-${i}`,
      level: 'Metadata',
      omitManagedFields: false,
      requestURI: `/api/v1/namespaces/default/configmaps/cm-${i}`,
      verb: 'get',
      user: { username: 'alice', groups: [] },
      sourceIPs: ['127.0.0.1'],
      receivedAt: new Date(0),
      responseStatus: { metadata: {}, code: 200 },
    },
    'ResponseComplete',
    new Date(0),
  );
}

describe(AuditLogWriter.name, () => {
  let dir: string;
  let tick: number;
  const now = (): Date => new Date(Date.UTC(2026, 11, 3, 21, 0, tick++));

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-audit-'));
    tick = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ids = (file: string): string[] =>
    readFileSync(path.join(dir, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as AuditEvent).auditID);

  it('appends JSON lines and rotates by size, keeping maxBackups backups named <name>-<time>.log', async () => {
    const file = path.join(dir, 'audit.log');
    const lineBytes = JSON.stringify(event(10)).length + 1;
    const writer = new AuditLogWriter({ file, maxSizeBytes: lineBytes * 3, maxBackups: 2, maxBuffered: 1000, now });
    for (let i = 10; i < 30; i++) {
      writer.write(event(i));
      await writer.flush(); // one event per write, so every rotation point is exercised
    }
    await writer.close();
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['audit-2026-12-03T21-00-04.000.log', 'audit-2026-12-03T21-00-05.000.log', 'audit.log']);
    expect(ids('audit.log')).toEqual(['id-28', 'id-29']);
    expect(ids(files[1])).toEqual(['id-25', 'id-26', 'id-27']);
    expect(ids(files[0])).toEqual(['id-22', 'id-23', 'id-24']);
  });

  it('never waits for the disk: beyond the buffer events are dropped, counted and reported', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const file = path.join(dir, 'audit.log');
    const writer = new AuditLogWriter({ file, maxSizeBytes: 1 << 20, maxBackups: 1, maxBuffered: 5, now });
    for (let i = 0; i < 50; i++) writer.write(event(i));
    await writer.close();
    // The first event is on its way to the disk at once; five wait; the other 44 are dropped.
    expect(ids('audit.log')).toEqual(['id-0', 'id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
    expect(warn).toHaveBeenCalledWith('44 audit events dropped: the audit log could not keep up (5 events buffered)');
    warn.mockRestore();
  });

  it('keeps working after the file cannot be written, reporting what was lost', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const blocker = path.join(dir, 'not-a-dir');
    writeFileSync(blocker, ''); // the log's directory is a file: every append fails
    const writer = new AuditLogWriter({
      file: path.join(blocker, 'audit.log'),
      maxSizeBytes: 1 << 20,
      maxBackups: 1,
      maxBuffered: 10,
      now,
    });
    writer.write(event(1));
    await writer.close();
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/^1 audit events lost: cannot write .*not-a-dir/));
    error.mockRestore();
  });
});
