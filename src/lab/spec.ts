/** The lab file: a topology to build through the API and plug into compute-node namespaces. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoPath } from './paths.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,11}$/, 'lower-case letters, digits and "-", at most 12 characters');

const rule = z.object({
  direction: z.enum(['ingress', 'egress']).default('ingress'),
  ethertype: z.enum(['IPv4', 'IPv6']).default('IPv4'),
  protocol: z.union([z.string(), z.number()]).optional(),
  /** one port, or "min:max" */
  port: z.union([z.number().int(), z.string().regex(/^\d+(:\d+)?$/)]).optional(),
  remote_ip_prefix: z.string().optional(),
  /** a group of this lab, by name */
  remote_group: name.optional(),
}).strict();

const nic = z.object({
  network: name,
  ip: z.string(),
  groups: z.array(name).default([]),
  pairs: z.array(z.string()).default([]),
  port_security: z.boolean().default(true),
}).strict();

/** A namespace outside the cloud (a router, the Internet's example service). */
const external = z.object({
  name,
  /** an uplink into a network's bridge on a compute node: no port, no filtering, like a provider NIC */
  uplinks: z.array(z.object({ network: name, host: name, ip: z.string() }).strict()).default([]),
  /** a veth to another external namespace: this end's address and the peer's */
  links: z.array(z.object({ peer: name, ip: z.string(), peer_ip: z.string() }).strict()).default([]),
  commands: z.array(z.string()).default([]),
  services: z.array(z.number().int()).default([]),
}).strict();

export const labSpec = z.object({
  name,
  networks: z.array(z.object({ name, cidr: z.string(), gateway: z.string().nullable().optional() }).strict()),
  groups: z.array(z.object({ name, stateful: z.boolean().default(true), rules: z.array(rule).default([]) }).strict()).default([]),
  instances: z.array(z.object({
    name,
    host: name,
    /** eth0, eth1, … in this order */
    ports: z.array(nic).min(1),
    /** shell commands run inside the instance once it is plugged (routes, sysctls, its own iptables) */
    commands: z.array(z.string()).default([]),
    /** TCP ports a probe server answers on ("peer=<source>") */
    services: z.array(z.number().int()).default([]),
    /** long-running programs started inside the instance (keepalived, …); stopped by `lab down` */
    processes: z.array(z.string()).default([]),
    /** files written inside the instance's own directory before anything runs: name → content */
    files: z.record(z.string(), z.string()).default({}),
  }).strict()),
  externals: z.array(external).default([]),
}).strict();

export type LabSpec = z.infer<typeof labSpec>;

export function parseLab(text: string, file: string): LabSpec {
  const res = labSpec.safeParse(parse(text));
  if (!res.success) {
    const i = res.error.issues[0];
    throw new Error(`${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return res.data;
}

/** A lab shipped in labs/, by name. */
export function loadLab(name: string): LabSpec {
  const file = repoPath('labs', `${name}.yaml`);
  return parseLab(readFileSync(file, 'utf8'), file);
}
