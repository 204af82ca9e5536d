import { PodLogState } from './pod-log-state';

const POD = { uid: 'u1', namespace: 'ns', name: 'p' };

describe(PodLogState.name, () => {
  it('hands out serials that are saved before use, and saves where JetStream acknowledged each file', () => {
    const state = new PodLogState(POD, undefined);
    const { file, offset } = state.open('cri:app', 42, { restart: 0 });
    expect([file.serial, offset, state.unsaved]).toEqual([1, 0, true]);
    state.ack(1, 100);
    state.ack(1, 50); // acknowledgements only move forward
    expect(state.snapshot()).toEqual({
      uid: 'u1',
      nextSerial: 2,
      files: [{ serial: 1, source: 'cri:app', inode: 42, offset: 100, restart: 0 }],
    });
  });

  it('drops files read to their end and acknowledged, but keeps the newest of each source', () => {
    const state = new PodLogState(POD, undefined);
    const a = state.open('cri:app', 1, { restart: 0 }).file;
    const b = state.open('cri:app', 2, { restart: 1 }).file;
    const c = state.open('file:app:x', 3, { path: '/l/a.log' }).file;
    state.finish(a, 10);
    state.finish(b, 20);
    state.finish(c, 30);
    state.ack(a.serial, 10);
    state.ack(b.serial, 20);
    state.ack(c.serial, 29);
    expect(state.snapshot().files.map((f) => f.serial)).toEqual([2, 3]);
  });

  it('resumes a saved file where it was acknowledged, or past it where a spooled batch covers it', () => {
    const saved = {
      uid: 'u1',
      nextSerial: 8,
      files: [
        { serial: 5, source: 'cri:app', inode: 1, offset: 10, restart: 0 },
        { serial: 7, source: 'cri:app', inode: 2, offset: 40, restart: 1 },
      ],
    };
    const state = new PodLogState(POD, saved, new Map([[7, 90]]), new Map([[5, 30]]));
    expect(state.savedOf('cri:app').map((f) => f.serial)).toEqual([5, 7]);
    const five = state.claimSaved('cri:app', (f) => f.inode === 1);
    // Serial 5 was delivered up to 30 (a spooled batch) before the pod was loaded.
    expect(state.open('cri:app', 1, { restart: 0 }, five)).toMatchObject({ offset: 30, file: { acked: 30 } });
    const seven = state.claimSaved('cri:app', (f) => f.inode === 2);
    expect(state.open('cri:app', 2, { restart: 1 }, seven)).toMatchObject({
      offset: 90,
      file: { serial: 7, acked: 40 },
    });
    expect(state.open('cri:app', 3, { restart: 2 }).file.serial).toBe(8);
    expect(state.unsaved).toBe(true);
  });
});
