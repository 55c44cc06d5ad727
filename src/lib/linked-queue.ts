/** A queue entry as handed out by `push`: pass it back to `remove` to take it out early. */
export interface QueueEntry<T> {
  readonly value: T;
}

interface Node<T> extends QueueEntry<T> {
  prev: Node<T> | undefined;
  next: Node<T> | undefined;
  /** The queue holding it; undefined once shifted or removed, so a second `remove` is a no-op. */
  owner: LinkedQueue<T> | undefined;
}

/**
 * First in, first out, with `push`, `shift` and `remove` of any entry in O(1): a doubly linked
 * list. For queues that may hold 100,000 waiters where any one of them may give up (an abort),
 * which an array makes O(n) per call (`shift`, `indexOf` + `splice`) and O(n²) overall.
 */
export class LinkedQueue<T> {
  private head: Node<T> | undefined;
  private tail: Node<T> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(value: T): QueueEntry<T> {
    const node: Node<T> = { value, prev: this.tail, next: undefined, owner: this };
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.count += 1;
    return node;
  }

  /** The oldest value, without taking it. */
  peek(): T | undefined {
    return this.head?.value;
  }

  shift(): T | undefined {
    const node = this.head;
    if (node === undefined) return undefined;
    this.unlink(node);
    return node.value;
  }

  /** Takes `entry` out wherever it is; false if it was already shifted or removed (or is another queue's). */
  remove(entry: QueueEntry<T>): boolean {
    const node = entry as Node<T>;
    if (node.owner !== this) return false;
    this.unlink(node);
    return true;
  }

  private unlink(node: Node<T>): void {
    if (node.prev === undefined) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    node.owner = undefined;
    this.count -= 1;
  }
}
