// Modules and clients made on first use (issue 17): one load, shared by every caller, forgotten
// when it fails so the next call tries again.

/** `load` run on the first call, its promise kept and shared; a failed load is not kept. */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (!loading) {
      const started = load();
      loading = started;
      started.catch(() => {
        if (loading === started) loading = undefined;
      });
    }
    return loading;
  };
}
