import { humanDuration, timestampSince } from './human-duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe(humanDuration.name, () => {
  it.each([
    [-2 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 12 * S, '3m12s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D + 3 * H, '2d3h'],
    [7 * D, '7d'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [9 * 365 * D, '9y'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('reports <unknown> for absent timestamps', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    expect(timestampSince(undefined, now)).toBe('<unknown>');
    expect(timestampSince('2024-12-31T23:59:00Z', now)).toBe('60s');
  });
});
