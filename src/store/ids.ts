/** Resource ids: random UUIDs, as Neutron's. */
import { randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();
