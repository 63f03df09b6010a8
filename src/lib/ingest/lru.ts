/**
 * A bounded cache of recently used entries, in two generations: lookups hit the young map, a hit in the
 * old one moves the entry up, and when the young map is full it becomes the old one (the previous old
 * generation is dropped). A hit costs one `Map.get` — a strict LRU's delete-and-reinsert per hit costs
 * more than the user-agent parse or bot check it saves. Holds between `capacity` and 2 × `capacity`
 * entries; anything used since the last generation change survives the next one.
 */
export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`LRU capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    let size = this.young.size;
    for (const key of this.old.keys()) if (!this.young.has(key)) size++;
    return size;
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.capacity && !this.young.has(key)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
