// A token bucket shared by every DNS query of a run. AmazonProvidedDNS drops packets past 1024
// per second per network interface — silently, and shared with IMDS and NTP on the same ENI —
// so a burst of diagnostic queries could itself cause the DNS timeouts it is looking for.
// 100 queries per second keeps the agent an order of magnitude below that limit.

export interface RateLimiterOptions {
  /** Tokens added per second (default 100). */
  ratePerSecond?: number;
  /** Bucket size: how many queries may go out at once after a quiet period (default 10). */
  burst?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  private tokens: number;
  private refilledAt: number;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RateLimiterOptions = {}) {
    this.ratePerSecond = options.ratePerSecond ?? 100;
    this.burst = options.burst ?? 10;
    if (!(this.ratePerSecond > 0) || !(this.burst >= 1)) {
      throw new RangeError('RateLimiter needs ratePerSecond > 0 and burst >= 1');
    }
    this.tokens = this.burst;
    this.refilledAt = performance.now();
  }

  /** Resolves when a query may be sent; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal?.reason);
          this.schedule();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.ratePerSecond) / 1000);
    this.refilledAt = now;
  }

  private release(): void {
    this.timer = undefined;
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= 1) {
      const waiter = this.waiters.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.tokens -= 1;
      waiter.resolve();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.waiters.length === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
    this.timer = setTimeout(() => this.release(), waitMs);
  }
}
