/** A FIFO with O(1) push, shift and indexed access (arrays shift in O(n)). */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item `index` places from the front. */
  at(index: number): T | undefined {
    return index < 0 || index >= this.length ? undefined : this.items[this.head + index];
  }

  peek(): T | undefined {
    return this.at(0);
  }

  last(): T | undefined {
    return this.at(this.length - 1);
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    // Compact once the dead prefix is half the array, keeping shift amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The index of the last item for which `before(item)` is true, given that it holds for a prefix; -1 if none. */
  lastIndexWhere(before: (item: T) => boolean): number {
    let low = 0;
    let high = this.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (before(this.items[this.head + middle] as T)) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}
