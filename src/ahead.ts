/**
 * Work started a few items ahead of the one being used, taken in order: reading, fetching or opening
 * the next items overlaps with what the caller does with this one.
 */

/**
 * `fn(item, index)` of every item, yielded in order. Up to `ahead` calls run beside the result the
 * caller holds; the next starts as soon as a result is taken. A failure is thrown when its turn comes.
 */
export async function* inOrderAhead<T, R>(
  items: readonly T[],
  ahead: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const started: Promise<R>[] = []
  let next = 0
  const fill = () => {
    while (next < items.length && started.length < ahead) {
      const p = fn(items[next]!, next++)
      p.catch(() => {}) // awaited in order below; this only silences the early-rejection warning
      started.push(p)
    }
  }
  fill()
  while (started.length > 0) {
    const result = await started.shift()!
    fill()
    yield result
  }
}
