// @peculiar/x509 resolves its algorithms through tsyringe, which refuses to load unless the Reflect metadata
// API (the `reflect-metadata` proposal) exists. x509 only needs define/get of metadata on its own classes, so
// this installs the three functions tsyringe calls, and only when nothing else provided them. Import it
// before @peculiar/x509: ES modules evaluate in import order.
type Metadata = Map<unknown, unknown>;
type ReflectMetadata = {
  defineMetadata(key: unknown, value: unknown, target: object): void;
  getOwnMetadata(key: unknown, target: object): unknown;
  getMetadata(key: unknown, target: object): unknown;
};

const reflect = Reflect as typeof Reflect & Partial<ReflectMetadata>;

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, Metadata>();
  const own = (key: unknown, target: object) => store.get(target)?.get(key);
  const shim: ReflectMetadata = {
    defineMetadata(key, value, target) {
      const metadata = store.get(target) ?? new Map();
      metadata.set(key, value);
      store.set(target, metadata);
    },
    getOwnMetadata: own,
    getMetadata(key, target) {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        if (store.get(t)?.has(key)) return own(key, t);
      }
      return undefined;
    },
  };
  Object.assign(reflect, shim);
}
