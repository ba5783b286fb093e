/** Builds on the first call, then answers the same value; a failed build is tried again next time. */
export function once<T>(build: () => T): (() => T) & { built(): boolean } {
  let value: { v: T } | undefined;
  const get = () => (value ??= { v: build() }).v;
  return Object.assign(get, { built: () => value !== undefined });
}
