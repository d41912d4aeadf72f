/**
 * A wake-up for whoever follows the change log in-process: fired with the last
 * change's seq once the write that appended it is committed. It carries no
 * changes (readers take them from the log), so a follower that misses none of
 * its calls misses nothing, however many writes one call stands for.
 */
export type CommitListener = (seq: number) => void;

export class ChangeSignal {
  private readonly listeners = new Set<CommitListener>();

  /** Listeners only wake their follower (they must not throw: the write they hear of is already done); returns how to stop. */
  listen(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(seq: number): void {
    for (const l of this.listeners) l(seq);
  }
}
