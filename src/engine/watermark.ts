/**
 * A checkpoint may only move past a unit once it and every unit listed before it are delivered.
 * Units finish out of order when they are read in parallel; this keeps the position of the longest
 * delivered prefix.
 */
export class Watermark<T> {
  private readonly done: boolean[];
  private next = 0;

  /** `items` in checkpoint order; `delivered` marks those finished in an earlier run. */
  constructor(
    private readonly items: readonly T[],
    delivered: (item: T, index: number) => boolean,
  ) {
    this.done = items.map(delivered);
    this.advance();
  }

  /** The last item of the delivered prefix, if any. */
  get position(): T | undefined {
    return this.next > 0 ? this.items[this.next - 1] : undefined;
  }

  /** Marks item `index` delivered; returns the new position if the prefix grew. */
  complete(index: number): T | undefined {
    this.done[index] = true;
    const before = this.next;
    this.advance();
    return this.next > before ? this.position : undefined;
  }

  private advance(): void {
    while (this.next < this.done.length && this.done[this.next]) this.next++;
  }
}
