/** Runs an async step every `ms` after the last one ended (never two at once); returns how to stop it. */
export function repeat(ms: number, step: () => Promise<void>): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout;
  const next = () => {
    timer = setTimeout(() => {
      running = step().finally(() => {
        if (!stopped) next();
      });
    }, ms);
  };
  next();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running.catch(() => {});
  };
}
