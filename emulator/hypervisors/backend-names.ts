// The back-ends a guest can run on, by name: the list world.yaml's bench: section, the CLI flags
// and the harness check against. Kept apart from hypervisor.ts so that reading the manifest does
// not load the hypervisor models.
export const BACKENDS = ['hardware', 'xen', 'l4'] as const;
export type BackendName = (typeof BACKENDS)[number];
