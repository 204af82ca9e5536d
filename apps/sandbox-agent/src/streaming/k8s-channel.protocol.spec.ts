import { exitCodeOf, exitStatus, parseResize } from './k8s-channel.protocol';

describe('k8s channel protocol', () => {
  it('reads kubectl resize messages and refuses anything else', () => {
    expect(parseResize(Buffer.from('{"Width":111,"Height":33}'))).toEqual({ cols: 111, rows: 33 });
    expect(parseResize(Buffer.from('{"Width":0,"Height":33}'))).toBeUndefined();
    expect(parseResize(Buffer.from('{"Width":"80","Height":24}'))).toBeUndefined();
    expect(parseResize(Buffer.from('{"Width":80'))).toBeUndefined();
  });

  it('reports exit codes the way a shell does', () => {
    expect(exitCodeOf(3, null)).toBe(3);
    expect(exitCodeOf(null, 'SIGKILL')).toBe(137);
    expect(exitCodeOf(0, 15)).toBe(143);
    expect(JSON.parse(exitStatus(['sh'], 0))).toEqual({ metadata: {}, status: 'Success' });
    expect(JSON.parse(exitStatus(['sh', '-c', 'exit 7'], 7))).toMatchObject({
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });
});
