// The environment of the processes that run the emulator (bench workers, the CPU benchmark's
// child): glibc is asked to back large allocations with transparent huge pages
// (glibc.malloc.hugetlb=1, glibc 2.35 and later; ignored elsewhere). A guest's RAM is one large
// zeroed allocation that the guest touches page by page (the guest kernel threads its free list
// through every page at boot), so with 4 KiB pages the host takes a page fault per guest page;
// with 2 MiB pages about 1/500 of them. Host time only: no guest figure depends on it.
const HUGE_PAGES = 'glibc.malloc.hugetlb=1';

/** process.env plus the huge-page tunable, kept after any tunables already set. */
export function emulatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const have = env.GLIBC_TUNABLES;
  if (have !== undefined && have.includes('glibc.malloc.hugetlb')) return env;
  return { ...env, GLIBC_TUNABLES: have ? `${have}:${HUGE_PAGES}` : HUGE_PAGES };
}
