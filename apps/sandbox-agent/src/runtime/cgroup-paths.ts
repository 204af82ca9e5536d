/** Where every pod's cgroups live, relative to the agent's own cgroup. */
export const CGROUP_PARENT = 'skiff';

/** A pod's cgroup: its containers' (the pause's too) are below it, so it holds the pod's totals. */
export function podCgroupPath(podId: string): string {
  return `${CGROUP_PARENT}/${podId}`;
}

/** The relative cgroupsPath of a container (runc), or of a gVisor container's whole sandbox (runsc). */
export function containerCgroupPath(podId: string, container: string): string {
  return `${podCgroupPath(podId)}/${container}`;
}
