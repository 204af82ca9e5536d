import { isPathUnder, parseMountInfo } from './mount-table';

describe('parseMountInfo', () => {
  it('reads the mount point, type and source past any optional fields, unescaping octal escapes', () => {
    const info = [
      '25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '46 27 7:0 / /tmp/skiff-a/staging/d-1 rw,relatime - ext4 /dev/loop0 rw',
      '47 25 7:0 / /tmp/a\\040dir rw,relatime shared:5 master:2 - ext4 /dev/loop0 rw',
      '48 25 0:50 / /mnt/nas rw - nfs 0a1b2c.nas.skiff.local:/pv-1 rw,vers=3',
      '',
    ].join('\n');
    expect(parseMountInfo(info)).toEqual([
      { mountPoint: '/', fsType: 'ext4', source: '/dev/sda1' },
      { mountPoint: '/tmp/skiff-a/staging/d-1', fsType: 'ext4', source: '/dev/loop0' },
      { mountPoint: '/tmp/a dir', fsType: 'ext4', source: '/dev/loop0' },
      { mountPoint: '/mnt/nas', fsType: 'nfs', source: '0a1b2c.nas.skiff.local:/pv-1' },
    ]);
  });

  it('isPathUnder: the directory itself or below it, not a sibling sharing its prefix', () => {
    expect(isPathUnder('/a/b', '/a/b')).toBe(true);
    expect(isPathUnder('/a/b/c', '/a/b')).toBe(true);
    expect(isPathUnder('/a/bc', '/a/b')).toBe(false);
  });
});
