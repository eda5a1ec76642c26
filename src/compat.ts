// What the library needs from a runtime that Bun has and Node 20-24 lack, added only where missing
// (the library's entry imports this first; the server and CLI run on Bun and never load it):
// Promise.withResolvers (Node 22+), Uint8Array's toBase64 and strict setFromBase64 (not in Node
// before 25), done with Buffer. setFromBase64 covers what decodeStrictBase64 asks of it: the whole
// text, canonical, padded, into a target of exactly its size.

type Base64Target = Uint8Array & {
  setFromBase64?: (text: string, options?: object) => { read: number; written: number };
  toBase64?: () => string;
};

if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      return { promise, resolve, reject };
    },
  });
}

const proto = Uint8Array.prototype as Base64Target;

if (typeof proto.toBase64 !== "function") {
  Object.defineProperty(Uint8Array.prototype, "toBase64", {
    configurable: true,
    writable: true,
    value(this: Uint8Array) {
      return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString("base64");
    },
  });
}

if (typeof proto.setFromBase64 !== "function") {
  Object.defineProperty(Uint8Array.prototype, "setFromBase64", {
    configurable: true,
    writable: true,
    value(this: Uint8Array, text: string) {
      if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
        throw new SyntaxError("invalid base64");
      const bytes = Buffer.from(text, "base64");
      // Re-encoding tells a canonical text from one with stray bits after its last byte.
      if (bytes.toString("base64") !== text) throw new SyntaxError("invalid base64");
      if (bytes.length > this.length) throw new SyntaxError("base64 longer than its target");
      this.set(bytes);
      return { read: text.length, written: bytes.length };
    },
  });
}
