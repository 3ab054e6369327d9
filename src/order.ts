// One order for names and ids in reports: by UTF-16 code units, the same on every machine.
// localeCompare would depend on the process's locale and loads ICU's collation data into the
// process (about 3 MB of resident memory in the sidecar, issue 17) to sort ASCII ids.

/** Compares two strings by code units: a sort comparator. Pure. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
