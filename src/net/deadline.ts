// One timer per probe, joined with the caller's signal: the probe ends at its own deadline or
// when the run is cancelled, whichever comes first, and never waits on the kernel's timers.

export interface Deadline {
  readonly signal: AbortSignal;
  /** Why the deadline fired: its own timer, or the caller's signal. Undefined while running. */
  readonly cause: 'deadline' | 'aborted' | undefined;
  dispose(): void;
}

export function armDeadline(timeoutMs: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let cause: Deadline['cause'];
  const onOuterAbort = () => {
    cause ??= 'aborted';
    controller.abort(outer?.reason);
  };
  const timer = setTimeout(
    () => {
      cause ??= 'deadline';
      controller.abort(new Error(`deadline of ${timeoutMs} ms passed`));
    },
    Math.max(0, timeoutMs),
  );
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}

/** Milliseconds since `started` (a process.hrtime.bigint() reading), to 0.01 ms. */
export function elapsedMs(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 10_000) / 100;
}
