// The keys of provisions whose outcome is unknown (#16 item 4), looked up before a retry.

/** Keys of failed provisions, oldest first, at most `limit` of them. */
export class UncertainOps {
  private readonly keys = new Set<string>();
  private readonly limit: number;
  constructor(limit = 10_000) {
    this.limit = limit;
  }
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.limit) {
      const [oldest] = this.keys;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
  delete(key: string): void {
    this.keys.delete(key);
  }
}
