import { afterEach, describe, expect, it } from "vitest";
import { StateError, type StateStore } from "../../src/state/index.js";
import { openPostgresState } from "../../src/state/postgres/postgres-store.js";
import { postgresUnavailable, sayPostgresSkipped, postgresForSuite } from "../support/postgres.js";
import { cursor, row, storeContract, unit } from "./store-contract.js";

sayPostgresSkipped("the PostgreSQL store's tests");

describe.skipIf(postgresUnavailable() !== undefined)("the PostgreSQL store", () => {
  const server = postgresForSuite();

  let database: string;
  storeContract({
    async fresh() {
      database = await server().createDatabase();
      return openPostgresState(server().url(database));
    },
    async again() {
      return openPostgresState(server().url(database));
    },
  });

  describe("beyond the contract", () => {
    let open: StateStore[] = [];
    const openOn = async (name: string) => {
      const store = await openPostgresState(server().url(name));
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open) await store.close();
      open = [];
    });

    it("lets two collectors on one database see each other's delivered units and checkpoints", async () => {
      const name = await server().createDatabase();
      // Opened together, as two collectors starting at once: the schema is created once.
      const [one, two] = await Promise.all([openOn(name), openOn(name)]);
      await one.markDelivered(unit({ key: "by-one" }), cursor("2026-11-01T14:03:12.000+0000", "0AT1"));
      expect(await two.isDelivered(unit().source, "by-one")).toBe(true);
      expect(await two.checkpoint(unit().source)).toBe(cursor("2026-11-01T14:03:12.000+0000", "0AT1"));
      const rows = await two.rowFingerprints({ source: "s", key: "b", scope: "x" });
      rows.seen(row(1));
      await two.markDelivered(
        { source: "s", key: "b", scope: "x", position: "2026-11-01T00:00:00Z", rows: 1 },
        undefined,
        rows,
      );
      expect((await one.rowFingerprints({ source: "s", key: "c", scope: "x" })).seen(row(1))).toBe(true);
    });

    /** A unit with fingerprints and a checkpoint, where the write of the checkpoint (the last step) fails. */
    async function failLastStep(name: string, how: string): Promise<StateStore> {
      const store = await openOn(name);
      await store.setCheckpoint("s", "before");
      await server().sql(
        name,
        `CREATE FUNCTION fail_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${how}; RETURN NEW; END $$;
         CREATE TRIGGER fail_checkpoint BEFORE UPDATE ON sfevents_checkpoints FOR EACH ROW EXECUTE FUNCTION fail_checkpoint();`,
      );
      const rows = await store.rowFingerprints({ source: "s", key: "a", scope: "x" });
      rows.seen(row(1));
      await expect(
        store.markDelivered(
          { source: "s", key: "a", scope: "x", position: "2026-11-01T00:00:00Z", rows: 1 },
          "after",
          rows,
        ),
      ).rejects.toThrow(StateError);
      await server().sql(name, "DROP TRIGGER fail_checkpoint ON sfevents_checkpoints");
      return store;
    }

    async function nothingWritten(name: string, store: StateStore): Promise<void> {
      expect(await store.checkpoint("s")).toBe("before");
      expect(await store.isDelivered("s", "a")).toBe(false);
      const counts = await server().sql(
        name,
        "SELECT (SELECT count(*) FROM sfevents_row_fingerprints)::int AS fingerprints, (SELECT count(*) FROM sfevents_delivered_units)::int AS units",
      );
      expect(counts.rows[0]).toEqual({ fingerprints: 0, units: 0 });
    }

    it("writes nothing of markDelivered when its last statement fails", async () => {
      const name = await server().createDatabase();
      const store = await failLastStep(name, "RAISE EXCEPTION 'refused by a test'");
      await nothingWritten(name, store);
    });

    it("writes nothing of markDelivered when the connection dies inside it, and goes on with a new one", async () => {
      const name = await server().createDatabase();
      const store = await failLastStep(name, "PERFORM pg_terminate_backend(pg_backend_pid())");
      await nothingWritten(name, store);
      await store.markDelivered(unit({ key: "later" }));
      expect(await store.isDelivered(unit().source, "later")).toBe(true);
    });

    it("says the server cannot be reached, without the password", async () => {
      const password = "s3cret-Pa55word";
      const url = server().url("sfevents", "collector", password).replace(`:${server().port}/`, ":1/");
      const failure = openPostgresState(url, { connectTimeoutMs: 2_000 });
      await expect(failure).rejects.toThrow(StateError);
      const message = await failure.catch((err: Error) => err.message);
      expect(message).toMatch(
        /^The PostgreSQL state database postgres:\/\/collector@127\.0\.0\.1:1\/sfevents cannot be reached \(.*ECONNREFUSED.*\): check the host and port in state\.postgres\.url/,
      );
      expect(message).not.toContain(password);
    });

    it("says the database does not exist, and how to create it", async () => {
      await expect(openPostgresState(server().url("no_such_db"))).rejects.toThrow(
        /^The PostgreSQL state database postgres:\/\/postgres@127\.0\.0\.1:\d+\/no_such_db does not exist on that server .*createdb no_such_db/,
      );
    });

    it("says the user lacks rights, and which", async () => {
      const name = await server().createDatabase();
      await server().sql("postgres", "CREATE ROLE reader LOGIN");
      await expect(openPostgresState(server().url(name, "reader"))).rejects.toThrow(
        /: the user reader lacks the rights sfevents needs \(permission denied for schema public\)/,
      );
    });
  });
});
