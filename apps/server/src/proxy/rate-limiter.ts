/** A token bucket: `perSecond` messages a second on average, bursts up to twice that. */
export function createRateLimiter(perSecond: number, now: () => number = () => performance.now()) {
  const capacity = perSecond * 2;
  let tokens = capacity;
  let last = now();
  return function take(): boolean {
    const at = now();
    tokens = Math.min(capacity, tokens + ((at - last) / 1000) * perSecond);
    last = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
