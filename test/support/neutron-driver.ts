/** Neutron 21's own iptables firewall driver, run offline on one node (test/golden/neutron_driver.py). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SYSTEM_PYTHON } from './server.js';

export interface DriverRun {
  status: number | null;
  stderr: string;
  /** {ipset_restore, iptables_save} when the driver accepted the input */
  state?: { ipset_restore: string; iptables_save: { IPv4: string; IPv6: string } };
}

/** The ipsets and iptables the real driver leaves for a topology in the golden fixtures' input shape. */
export function neutronDriver(input: unknown): DriverRun {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-driver-'));
  try {
    const file = join(dir, 'node.json');
    writeFileSync(file, JSON.stringify(input));
    const r = spawnSync(SYSTEM_PYTHON, [join(ROOT, 'test/golden/neutron_driver.py'), file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return { status: r.status, stderr: r.stderr, state: r.status === 0 ? JSON.parse(r.stdout) : undefined };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
