/**
 * Wraps a periodic task so that a run started while the previous one is still going does
 * nothing: a sweep slower than its interval (millions of trash copies, a slow object store)
 * never overlaps itself. The wrapper resolves when the run it started (or skipped) ends.
 */
export function skipWhileRunning(task: () => Promise<void>): () => Promise<void> {
  let running = false;
  return async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } finally {
      running = false;
    }
  };
}
