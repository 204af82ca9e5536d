import { podTemplatePrinter } from './pod-template.printer';
import { printed } from './served-kinds.fixture';

describe('podTemplatePrinter', () => {
  it('prints containers, images and the pod labels, without AGE', () => {
    const template = {
      metadata: { labels: { tier: 'web', app: 'shop' } },
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1.27' },
          { name: 'log', image: 'busybox' },
        ],
      },
    };
    expect(printed('', 'PodTemplate', { metadata: { name: 'web' }, template }).row).toEqual({
      NAME: 'web',
      CONTAINERS: 'app,log',
      IMAGES: 'nginx:1.27,busybox',
      'POD LABELS': 'app=shop,tier=web',
    });
    expect(
      printed('', 'PodTemplate', { metadata: { name: 'bare' }, template: { spec: { containers: [] } } }).row[
        'POD LABELS'
      ],
    ).toBe('<none>');
    expect(podTemplatePrinter.columns.every((c) => c.priority === 0)).toBe(true);
  });
});
