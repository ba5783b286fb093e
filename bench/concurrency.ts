/** Runs `task(0…count-1)` with at most `width` in flight; the first failure stops the rest and is thrown. */
export async function forEachConcurrently(count: number, width: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}
