/** A bounded FIFO on a fixed array: O(1) push/shift, no growth, `push` refuses when full. */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  get free(): number {
    return this.capacity - this.count;
  }

  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return true;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Removes and returns up to `n` items from the front. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.count > 0) out.push(this.shift()!);
    return out;
  }
}
