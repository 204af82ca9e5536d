// core/v1 PodTemplates (printPodTemplate): containers, images and the template's labels.
import { formatLabels } from '@skiff/api-machinery';
import { column, NAME_COLUMN, nameOf, templateContainers } from './columns';
import { ResourcePrinter } from './table.types';
import { stringMap } from './unstructured';

export const podTemplatePrinter: ResourcePrinter = {
  // Upstream's PodTemplate columns have no AGE and show containers without -o wide.
  columns: [
    NAME_COLUMN,
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells: (pt) => {
    const [names, images] = templateContainers(pt, 'template');
    return [nameOf(pt), names, images, formatLabels(stringMap(pt, 'template', 'metadata', 'labels'))];
  },
};
