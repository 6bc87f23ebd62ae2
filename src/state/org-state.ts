import type { StateStore } from "./store.js";

/**
 * One org's view of a store that several orgs share: its source ids are kept under its name
 * (`acme/event_log_files:hourly`), so that two orgs' sources of the same id never meet. Closing it
 * leaves the shared store open for the other orgs.
 */
export function orgState(store: StateStore, org: string): StateStore {
  const id = (source: string) => `${org}/${source}`;
  return {
    isDelivered: (source, key) => store.isDelivered(id(source), key),
    markDelivered: (unit, checkpoint, fingerprints) =>
      store.markDelivered({ ...unit, source: id(unit.source) }, checkpoint, fingerprints),
    checkpoint: (source) => store.checkpoint(id(source)),
    setCheckpoint: (source, value) => store.setCheckpoint(id(source), value),
    deliveredIn: async (source, scope) =>
      (await store.deliveredIn(id(source), scope)).map((unit) => ({ ...unit, source })),
    rowFingerprints: (unit) => store.rowFingerprints({ ...unit, source: id(unit.source) }),
    prune: (source, before) => store.prune(id(source), before),
    newestPosition: (source) => store.newestPosition(id(source)),
    unitsFrom: (source, from) => store.unitsFrom(id(source), from),
    rewind: (source, to, checkpoint) => store.rewind(id(source), to, checkpoint),
    close: async () => {},
  };
}
