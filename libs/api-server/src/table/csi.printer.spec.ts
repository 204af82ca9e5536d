import { csiDriverPrinter, volumeAttachmentPrinter } from './csi.printer';
import { printed } from './served-kinds.fixture';

describe('csiDriverPrinter', () => {
  it('prints the driver flags, token audiences and modes', () => {
    const spec = {
      attachRequired: false,
      podInfoOnMount: true,
      storageCapacity: false,
      requiresRepublish: true,
      tokenRequests: [{ audience: 'vault' }, { audience: '' }],
      volumeLifecycleModes: ['Persistent', 'Ephemeral'],
    };
    expect(printed('storage.k8s.io', 'CSIDriver', { metadata: { name: 'disk.csi.example.com' }, spec }).row).toEqual({
      NAME: 'disk.csi.example.com',
      ATTACHREQUIRED: false,
      PODINFOONMOUNT: true,
      STORAGECAPACITY: false,
      TOKENREQUESTS: 'vault,',
      REQUIRESREPUBLISH: true,
      MODES: 'Persistent,Ephemeral',
      AGE: '60m',
    });
    expect(csiDriverPrinter.columns).toHaveLength(8);
  });

  it('prints unset pointers as their defaults', () => {
    expect(printed('storage.k8s.io', 'CSIDriver', { metadata: { name: 'd' }, spec: {} }).row).toMatchObject({
      ATTACHREQUIRED: true,
      PODINFOONMOUNT: false,
      TOKENREQUESTS: '<unset>',
      MODES: '<none>',
    });
  });
});

describe('volumeAttachmentPrinter', () => {
  it('prints attacher, PV, node and whether it is attached', () => {
    const va = {
      metadata: { name: 'csi-1' },
      spec: { attacher: 'disk.csi.example.com', nodeName: 'virtual-node-a', source: { persistentVolumeName: 'pv-1' } },
    };
    expect(printed('storage.k8s.io', 'VolumeAttachment', { ...va, status: { attached: true } }).row).toEqual({
      NAME: 'csi-1',
      ATTACHER: 'disk.csi.example.com',
      PV: 'pv-1',
      NODE: 'virtual-node-a',
      ATTACHED: true,
      AGE: '60m',
    });
    expect(printed('storage.k8s.io', 'VolumeAttachment', va).row.ATTACHED).toBe(false);
    expect(volumeAttachmentPrinter.columns[1]).toMatchObject({ name: 'Attacher', format: 'name' });
  });
});
