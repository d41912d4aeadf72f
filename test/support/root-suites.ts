/** Suites that build compute nodes in network namespaces and load real iptables are named `*.root.test.ts`. */
export const ROOT_SUITE_SUFFIX = '.root.test.ts';
