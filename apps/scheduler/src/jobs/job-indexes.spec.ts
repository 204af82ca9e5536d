import { formatIndexes, parseIndexes, pendingIndexes } from './job-indexes';

describe('completion indexes', () => {
  it('writes completedIndexes as upstream does and reads it back', () => {
    expect(formatIndexes([7, 1, 3, 4, 5, 4])).toBe('1,3-5,7');
    expect(formatIndexes([0, 1])).toBe('0-1');
    expect(formatIndexes([])).toBe('');
    expect([...parseIndexes('1,3-5,7', 10)]).toEqual([1, 3, 4, 5, 7]);
  });

  it('drops indexes at or past completions (after a scale-down of an elastic Job)', () => {
    expect([...parseIndexes('0-2,8-12', 10)]).toEqual([0, 1, 2, 8, 9]);
  });

  it('hands out the lowest indexes neither completed nor running', () => {
    expect(pendingIndexes(6, new Set([0, 2]), new Set([1]), 2)).toEqual([3, 4]);
    expect(pendingIndexes(3, new Set([0, 1, 2]), new Set(), 2)).toEqual([]);
  });
});
