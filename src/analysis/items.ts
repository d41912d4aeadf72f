/**
 * A snapshot's big lists (ports, rules) as the cloud reads them. A dump file's items are checked
 * when first read, so a question that reads a few items of a 100,000-port dump checks only those
 * (bench/audit's one-off can-reach: checking every item cost more than the answer); the other
 * inputs are checked whole when read, and their lists are read as they are.
 */
import { type PortBackend, type Snapshot, type SnapshotPort, type SnapshotRule } from './snapshot.js';

export interface ItemList<T> {
  readonly length: number;
  /** item i, checked */
  at(i: number): T;
  /**
   * the named fields of item i as checking gives them, without checking the rest: the item as read when
   * the schema takes those fields as they are, else the checked item (or its error)
   */
  fields<K extends keyof T>(i: number, keys: readonly K[]): Pick<T, K>;
  /** every item, checked */
  all(): T[];
  /** each item's number by its id, when the list has them already (its ids are then unique) */
  places?: ReadonlyMap<string, number>;
}

export const eagerList = <T>(items: T[]): ItemList<T> => ({ length: items.length, at: (i) => items[i], fields: (i) => items[i], all: () => items });

export interface SnapshotItems {
  /** true: items are checked when first read (what a question does not read may be malformed) */
  lazy: boolean;
  ports: ItemList<SnapshotPort>;
  rules: ItemList<SnapshotRule>;
  /** the port's firewall as the snapshot found it */
  backendOf(p: SnapshotPort): PortBackend | undefined;
}

// by object: a snapshot made from another (a fix applied, `{ ...s }`) is a new object with its own lists
const checkedOnRead = new WeakMap<Snapshot, SnapshotItems>();

/** Marks a snapshot whose lists (getters checking every item) are also read item by item through `items`. */
export function readLazily(s: Snapshot, items: SnapshotItems): Snapshot {
  checkedOnRead.set(s, items);
  return s;
}

export function itemsOf(s: Snapshot): SnapshotItems {
  return checkedOnRead.get(s) ?? {
    lazy: false, ports: eagerList(s.ports), rules: eagerList(s.security_group_rules), backendOf: (p) => s.backends?.ports[p.id],
  };
}
