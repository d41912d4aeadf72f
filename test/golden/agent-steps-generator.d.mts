// Types for agent-steps-generator.mjs (plain JS so that Node 20 runs it directly).
import { type Topology } from './topology-generator.mjs';

/** A neutron_driver.py input with 4–8 events for `seed`. Same seed => same object. */
export function generateSequence(seed: number): Topology & { events: NonNullable<Topology['events']> };
