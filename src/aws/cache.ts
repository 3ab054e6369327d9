// The snapshot is shared by every run in its TTL, and refreshed by one load however many
// runs ask at once: agents in a fleet share the account's EC2 throttling buckets.
import type { Inventory } from '../model.js';

export interface InventoryCacheOptions {
  load: (signal: AbortSignal) => Promise<Inventory>;
  ttlMs?: number;
  clock?: () => number;
}

export interface CachedInventory {
  inventory: Inventory;
  ageMs: number;
}

export interface InventoryCache {
  /** The cached snapshot when younger than maxAgeMs (default: the TTL), else a fresh one. */
  get(options?: { signal?: AbortSignal; maxAgeMs?: number }): Promise<CachedInventory>;
  /** Forget the snapshot; the next get loads. */
  clear(): void;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function createInventoryCache(options: InventoryCacheOptions): InventoryCache {
  const ttlMs = options.ttlMs ?? 60_000;
  const clock = options.clock ?? Date.now;
  let current: { inventory: Inventory; loadedAt: number } | undefined;
  let inflight: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    // The load is not tied to any one caller's signal: one impatient caller must not cancel
    // the refresh the others wait on. The loader carries its own deadline.
    inflight ??= options
      .load(new AbortController().signal)
      .then((inventory) => {
        current = { inventory, loadedAt: clock() };
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const view = (): CachedInventory => {
    const snapshot = current!;
    return { inventory: snapshot.inventory, ageMs: Math.max(0, clock() - snapshot.loadedAt) };
  };

  return {
    async get({ signal, maxAgeMs } = {}) {
      const limit = maxAgeMs ?? ttlMs;
      if (current && clock() - current.loadedAt <= limit) return view();
      try {
        await abortable(refresh(), signal);
      } catch (err) {
        // A failed refresh keeps the last good snapshot (its age says how stale it is).
        if (current && !signal?.aborted) return view();
        throw err;
      }
      return view();
    },
    clear() {
      current = undefined;
    },
  };
}
