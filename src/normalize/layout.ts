import { jsonString, needsEscape } from "../csv/row-json.js";

/** A field's value in a row: typed, or an object (source.geo, user_agent.os) written as JSON. */
export type FieldValue = string | number | boolean | readonly string[] | object;

/** One row's fields, by slot; `undefined` leaves the field out. */
export type Fields = (FieldValue | undefined)[];

/** A field path, parent objects first: ["event", "action"]. */
export type Path = readonly string[];

interface Leaf {
  key: string;
  slot: number;
  /** Written in every document whatever the row: event.kind, ecs.version. */
  constant?: string;
}

interface Branch {
  key: string;
  children: Map<string, Leaf | Branch>;
}

/** Writes an object's fields that are set; "" when none is, so that the object is left out. */
type ObjectWriter = (fields: Fields) => string;

/**
 * The JSON skeleton of the ECS documents of one header: every field a plan may set is given a slot
 * once, at compile time, and its place in the nested document with it. Per row, the plan fills a
 * flat array of slots and the compiled writer lays the text out directly: keys, braces and commas
 * are precomputed strings, objects whose fields are all unset are left out, and no nested object
 * is built or stringified. Fields keep the order in which they were first declared.
 */
export class DocumentLayout {
  private readonly root: Branch = { key: "", children: new Map() };
  private slots = 0;

  /** The slot of a field, the same for every call with the same path. */
  slot(path: Path): number {
    const leaf = this.leaf(path);
    if (leaf.constant !== undefined) throw new Error(`${path.join(".")} is a constant field`);
    return leaf.slot;
  }

  /** A field every document holds with the same value. */
  constant(path: Path, value: FieldValue): void {
    this.leaf(path).constant = jsonValue(value);
  }

  /** The row's fields as a new, empty array of the right size. */
  fields(): Fields {
    return new Array(this.slots);
  }

  /** The writer of whole documents. Fields declared later are not written. */
  compile(): (fields: Fields) => string {
    const write = compileObject(this.root);
    return (fields) => {
      const text = write(fields) || "{}";
      flatten(text);
      return text;
    };
  }

  private leaf(path: Path): Leaf {
    let node = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      let next = node.children.get(path[i]);
      if (next === undefined) {
        next = { key: path[i], children: new Map() };
        node.children.set(path[i], next);
      }
      if (!("children" in next)) throw new Error(`${path.slice(0, i + 1).join(".")} is not an object`);
      node = next;
    }
    const key = path[path.length - 1];
    let leaf = node.children.get(key);
    if (leaf === undefined) {
      leaf = { key, slot: this.slots++ };
      node.children.set(key, leaf);
    }
    if ("children" in leaf) throw new Error(`${path.join(".")} is an object`);
    return leaf;
  }
}

function compileObject(branch: Branch): ObjectWriter {
  const children = [...branch.children.values()].map((child) => {
    const key = jsonString(child.key);
    return {
      first: `{${key}:`,
      next: `,${key}:`,
      // With the opening quote of a string value, the common case, which then needs no text of its own.
      firstQuoted: `{${key}:"`,
      nextQuoted: `,${key}:"`,
      slot: "slot" in child ? child.slot : -1,
      constant: "slot" in child ? child.constant : undefined,
      write: "children" in child ? compileObject(child) : undefined,
    };
  });
  const n = children.length;
  return (fields) => {
    let out = "";
    for (let i = 0; i < n; i++) {
      const child = children[i];
      if (child.write !== undefined) {
        const text = child.write(fields);
        if (text === "") continue;
        out += out === "" ? child.first : child.next;
        out += text;
      } else if (child.constant !== undefined) {
        out += out === "" ? child.first : child.next;
        out += child.constant;
      } else {
        const value = fields[child.slot];
        if (value === undefined) continue;
        // Appended piece by piece: no intermediate string per value.
        if (typeof value === "string" && !needsEscape(value)) {
          out += out === "" ? child.firstQuoted : child.nextQuoted;
          out += value;
          out += '"';
        } else {
          out += out === "" ? child.first : child.next;
          out += jsonValue(value);
        }
      }
    }
    return out === "" ? "" : `${out}}`;
  };
}

/**
 * The text is built by appending some hundred pieces, which V8 keeps as a tree of string nodes
 * until something needs the characters. An output that gathers thousands of documents before
 * writing them would hold all those nodes and then walk them, out of cache: measured, that made
 * the writer slower than JSON.stringify. Copying each document into one flat string right away,
 * while its pieces are fresh, is cheaper: V8 flattens a string before converting it to a number
 * (the result, NaN, is not used). Joining an array of the pieces instead costs more than the
 * whole gain of the writer.
 */
function flatten(text: string): void {
  Number(text);
}

/** JSON text of a field value; numbers are finite (the plan only keeps those). */
function jsonValue(value: FieldValue): string {
  switch (typeof value) {
    case "string":
      return jsonString(value);
    case "number":
    case "boolean":
      return String(value);
    default:
      return Array.isArray(value) ? stringArray(value) : JSON.stringify(value);
  }
}

function stringArray(values: readonly string[]): string {
  let out = "[";
  for (let i = 0; i < values.length; i++) out += (i === 0 ? "" : ",") + jsonString(values[i]);
  return `${out}]`;
}
