/**
 * Every state loads into the backend's real dataplane, which then holds it: for each of
 * the backend's golden fixtures (those its loader takes), in each variant of the
 * dataplane (iptables: the nft and the legacy backend), the initial state goes into a
 * fresh dataplane and the events follow as the loader says (iptables applies each
 * delta on top; the OVN Northbound database loads the end state afresh). The loaders
 * are the backends' own (test/backend-suite/planes/).
 */
import { afterAll, describe, test } from 'vitest';
import { fixturesFor, type Fixture } from './fixtures.js';
import { type AnyBackend, type BackendUnderTest, type Part } from './index.js';

export interface PlaneLoad<B extends AnyBackend> {
  /** root: the dataplane lives in ps- namespaces (the `*.root.test.ts` part) */
  part: Part;
  /** what it loads into, for the report: `${name}: dataplane load: ${title}` */
  title: string;
  /** the dataplane's variants, each a describe block (one unnamed variant: none) */
  variants: readonly string[];
  /** the fixtures it loads, when not all (why: its doc) */
  takes?: (f: string, fx: Fixture) => boolean;
  /** loads one fixture's states into a fresh dataplane of the variant, expecting it to hold each */
  load: (b: BackendUnderTest<B>, f: string, fx: Fixture, variant: string) => void | Promise<void>;
  /** after the case: what every fixture's load may have left */
  cleanup?: () => void | Promise<void>;
  /** a test's time limit (ms), when loading takes long */
  timeout?: number;
}

export function dataplaneLoad(b: BackendUnderTest): void {
  const plane = b.dataplane!;
  describe(`${b.name}: dataplane load: ${plane.title}`, () => {
    if (plane.cleanup) afterAll(plane.cleanup);
    const fixtures = fixturesFor(b, 'dataplane load', (fx, f) => plane.takes?.(f, fx) ?? true);
    const each = (variant: string) => test.each(fixtures)('%s', (f, fx) => plane.load(b, f, fx, variant), plane.timeout);
    for (const variant of plane.variants) {
      if (variant) describe(variant, () => each(variant));
      else each(variant);
    }
  });
}
