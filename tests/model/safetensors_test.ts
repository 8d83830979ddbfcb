import assert from "node:assert/strict";
import { join } from "node:path";
import {
  readSafetensorsHeader,
  readTensor,
  readTensorBytes,
  type TensorData,
  writeSafetensors,
} from "../../lib/model/safetensors.ts";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../../lib/model/dtype.ts";

/** Build a safetensors file by hand (independent of the writer). */
async function craft(
  dir: string,
  name: string,
  header: unknown,
  data: Uint8Array,
  opts: { headerLen?: bigint; padTo8?: boolean } = {},
): Promise<string> {
  let text = JSON.stringify(header);
  if (opts.padTo8) text += " ".repeat((8 - (text.length % 8)) % 8);
  const h = new TextEncoder().encode(text);
  const buf = new Uint8Array(8 + h.length + data.length);
  new DataView(buf.buffer).setBigUint64(0, opts.headerLen ?? BigInt(h.length), true);
  buf.set(h, 8);
  buf.set(data, 8 + h.length);
  const path = join(dir, name);
  await Deno.writeFile(path, buf);
  return path;
}

function f32Bytes(xs: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(xs).buffer);
}

function bits32(x: Float32Array): number[] {
  return [...new Uint32Array(x.buffer, x.byteOffset, x.length)];
}

async function rejects(p: Promise<unknown>, ...parts: string[]) {
  await assert.rejects(p, (e: Error) => {
    for (const s of parts) assert.ok(e.message.includes(s), `"${e.message}" lacks "${s}"`);
    return true;
  });
}

const TMP = await Deno.makeTempDir({ prefix: "safetensors_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

Deno.test("readTensor() reads a hand-built F32/BF16/F16 file exactly", async () => {
  const data = new Uint8Array([
    ...f32Bytes([1.5, -2]), // a: F32 [2]
    0xc0,
    0x3f,
    0x00,
    0xc0,
    0x80,
    0x7f, // b: BF16 [3] = 1.5, -2, +inf
    0x00,
    0x3e,
    0x01,
    0x00, // c: F16 [1, 2] = 1.5, 2^-24
  ]);
  const path = await craft(
    TMP,
    "hand.safetensors",
    {
      __metadata__: { format: "pt", note: "x" },
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "BF16", shape: [3], data_offsets: [8, 14] },
      c: { dtype: "F16", shape: [1, 2], data_offsets: [14, 18] },
    },
    data,
    { padTo8: true },
  );
  const h = await readSafetensorsHeader(path);
  assert.deepEqual(h.metadata, { format: "pt", note: "x" });
  assert.deepEqual([...h.entries.keys()], ["a", "b", "c"]);
  const dataStart = (await Deno.stat(path)).size - data.length;
  assert.equal(h.entries.get("b")!.begin, dataStart + 8);
  assert.deepEqual([...await readTensor(h.entries.get("a")!)], [1.5, -2]);
  assert.deepEqual([...await readTensor(h.entries.get("b")!)], [1.5, -2, Infinity]);
  assert.deepEqual([...await readTensor(h.entries.get("c")!)], [1.5, 2 ** -24]);
  assert.deepEqual([...await readTensorBytes(h.entries.get("c")!)], [0x00, 0x3e, 0x01, 0x00]);
});

Deno.test("writeSafetensors() round-trips F32 bit for bit, special values included", async () => {
  const vals = new Float32Array([
    0,
    -0,
    1,
    -1e-45,
    3.4028234663852886e38,
    Infinity,
    -Infinity,
    NaN,
  ]);
  const rnd = new Float32Array(1000).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 7);
  const tensors = new Map<string, TensorData>([
    ["special", { shape: [2, 4], data: vals }],
    ["rnd", { shape: [10, 10, 10], data: rnd }],
    ["empty", { shape: [0, 3], data: new Float32Array(0) }],
  ]);
  const path = join(TMP, "f32.safetensors");
  await writeSafetensors(path, tensors, { metadata: { origin: "test" } });
  const h = await readSafetensorsHeader(path);
  assert.deepEqual(h.metadata, { format: "pt", origin: "test" });
  for (const [name, t] of tensors) {
    const e = h.entries.get(name)!;
    assert.equal(e.dtype, "F32");
    assert.deepEqual(e.shape, t.shape);
    assert.deepEqual(bits32(await readTensor(e)), bits32(t.data), name);
  }
  // The header is space-padded JSON with offsets relative to the data section, in map order;
  // no temporary file is left behind.
  const bytes = await Deno.readFile(path);
  const n = new DataView(bytes.buffer).getBigUint64(0, true);
  assert.equal(n % 8n, 0n);
  const raw = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(n))));
  assert.deepEqual(raw.special, { dtype: "F32", shape: [2, 4], data_offsets: [0, 32] });
  assert.deepEqual(raw.rnd.data_offsets, [32, 4032]);
  assert.deepEqual(raw.__metadata__, { format: "pt", origin: "test" });
  assert.equal(bytes.length, 8 + Number(n) + 4032);
  assert.deepEqual(
    [...Deno.readDirSync(TMP)].filter((d) => d.name.includes(".tmp-")).map((d) => d.name),
    [],
  );
});

Deno.test("f32ToBf16() rounds to nearest, ties to even", () => {
  const x = new Float32Array([
    1 + 2 ** -8, // tie between 1 and 1+2^-7: even is 1
    1 + 3 * 2 ** -8, // tie between 1+2^-7 and 1+2^-6: even is 1+2^-6
    1 + 2 ** -8 + 2 ** -20, // just above the tie: rounds up
    1 + 2 ** -8 - 2 ** -20, // just below: rounds down
    -2.5,
    3.4028234663852886e38, // above the largest bf16: overflows to +inf
    NaN,
  ]);
  const b = f32ToBf16(x);
  assert.deepEqual([...b.slice(0, 6)], [0x3f80, 0x3f82, 0x3f81, 0x3f80, 0xc020, 0x7f80]);
  assert.ok(Number.isNaN(bf16ToF32(b)[6]));
  assert.deepEqual([...bf16ToF32(b.slice(0, 5))], [1, 1 + 2 ** -6, 1 + 2 ** -7, 1, -2.5]);
});

Deno.test("f32ToBf16() picks the nearer neighbour for random values", () => {
  const u = new Uint32Array(20000);
  let s = 7;
  for (let i = 0; i < u.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    u[i] = s & 0xbfffffff; // keep the exponent below the inf/NaN range
  }
  const x = new Float32Array(u.buffer);
  const y = bf16ToF32(f32ToBf16(x));
  for (let i = 0; i < x.length; i++) {
    const lo = (u[i] >>> 16) << 16, hi = lo + 0x10000;
    const fl = new Float32Array(new Uint32Array([lo, hi]).buffer);
    const dLo = Math.abs(x[i] - fl[0]), dHi = Math.abs(fl[1] - x[i]);
    assert.equal(y[i], dLo <= dHi ? fl[0] : fl[1], `value ${x[i]}`);
  }
});

Deno.test("writeSafetensors() stores BF16 as rounded bits and reads them back exactly", async () => {
  const x = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, -0.1, 1e-3]);
  const path = join(TMP, "bf16.safetensors");
  await writeSafetensors(path, new Map([["w", { shape: [4], data: x }]]), { dtype: "BF16" });
  const e = (await readSafetensorsHeader(path)).entries.get("w")!;
  assert.equal(e.dtype, "BF16");
  assert.equal(e.end - e.begin, 8);
  const raw = await readTensorBytes(e);
  assert.deepEqual([...new Uint16Array(raw.buffer)], [...f32ToBf16(x)]);
  const back = await readTensor(e);
  assert.deepEqual([...back.slice(0, 2)], [1, 1 + 2 ** -6]);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(back[i] - x[i]) <= Math.abs(x[i]) * 2 ** -8);
});

Deno.test("f32ToF16() rounds to nearest even, with subnormals and overflow", () => {
  const x = new Float32Array([
    1.5,
    65504, // largest finite half
    65519, // below the midpoint to inf: stays 65504
    65520, // midpoint between 65504 and 2^16: ties to even → inf
    2 ** -24, // smallest subnormal
    2 ** -25, // half of it: ties to even → 0
    3 * 2 ** -25, // 1.5 subnormal ulps: ties to even → 2 ulps
    1 + 2 ** -11, // tie: → 1
    1 + 3 * 2 ** -11, // tie: → 1 + 2^-9
    -0,
  ]);
  assert.deepEqual(
    [...f32ToF16(x)],
    [0x3e00, 0x7bff, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002, 0x3c00, 0x3c02, 0x8000],
  );
});

Deno.test("f16ToF32() and f32ToF16() agree with every half value", () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const w = f16ToF32(all);
  const back = f32ToF16(w);
  const F16 = (globalThis as { Float16Array?: new (a: ArrayLike<number>) => ArrayLike<number> })
    .Float16Array;
  for (let i = 0; i < 65536; i++) {
    const exp = (i >> 10) & 0x1f, man = i & 0x3ff;
    if (exp === 31 && man !== 0) {
      assert.ok(Number.isNaN(w[i]));
      continue;
    }
    assert.equal(back[i], i);
    if (exp !== 31) {
      const v = exp === 0 ? man * 2 ** -24 : (1 + man / 1024) * 2 ** (exp - 15);
      assert.equal(w[i], i & 0x8000 ? -v : v);
    }
  }
  if (F16) {
    // Cross-check narrowing with the engine's native Float16Array on random f32 values.
    const n = 50000, x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 78.233) * 2 ** ((i % 44) - 28);
    const mine = f32ToF16(x), native = new Uint16Array(new Float16Array(x).buffer);
    assert.deepEqual([...mine], [...native]);
  } else {
    console.log("native Float16Array unavailable: cross-check skipped");
  }
});

Deno.test("writeSafetensors() stores F16 readable back within half precision", async () => {
  const x = new Float32Array([0.1, -3.75, 1000.5, 6e-8]);
  const path = join(TMP, "f16.safetensors");
  await writeSafetensors(path, new Map([["h", { shape: [2, 2], data: x }]]), { dtype: "F16" });
  const e = (await readSafetensorsHeader(path)).entries.get("h")!;
  assert.equal(e.dtype, "F16");
  assert.deepEqual([...await readTensor(e)], [...f16ToF32(f32ToF16(x))]);
  assert.deepEqual([...(await readTensor(e)).slice(1, 3)], [-3.75, 1000.5]);
});

Deno.test("writeSafetensors() rejects data that disagrees with the shape", async () => {
  await rejects(
    writeSafetensors(
      join(TMP, "bad.safetensors"),
      new Map([["w", { shape: [2, 3], data: new Float32Array(5) }]]),
    ),
    "bad.safetensors",
    '"w"',
    "[2,3]",
  );
});

Deno.test("readSafetensorsHeader() names the file and tensor for every malformed input", async (t) => {
  const ok = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const cases: [string, () => Promise<string>, string[]][] = [
    ["missing file", () => Promise.resolve(join(TMP, "nope.safetensors")), [
      "nope.safetensors",
      "not found",
    ]],
    [
      "file shorter than the length field",
      async () => {
        const p = join(TMP, "short.safetensors");
        await Deno.writeFile(p, new Uint8Array(5));
        return p;
      },
      ["short.safetensors", "5 bytes"],
    ],
    [
      "header length beyond the file",
      () => craft(TMP, "hlen.safetensors", ok, f32Bytes([1, 2]), { headerLen: 1n << 40n }),
      ["hlen.safetensors", "header length 1099511627776 exceeds"],
    ],
    [
      "header that is not JSON",
      async () => {
        const p = join(TMP, "json.safetensors");
        const b = new Uint8Array(8 + 4);
        new DataView(b.buffer).setBigUint64(0, 4n, true);
        b.set(new TextEncoder().encode("{no "), 8);
        await Deno.writeFile(p, b);
        return p;
      },
      ["json.safetensors", "not valid UTF-8 JSON"],
    ],
    [
      "truncated data",
      () => craft(TMP, "trunc.safetensors", ok, f32Bytes([1])),
      ["trunc.safetensors", 'tensor "a"', "run past the 4-byte data section"],
    ],
    [
      "overlapping offsets",
      () =>
        craft(TMP, "overlap.safetensors", {
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        }, f32Bytes([1, 2, 3])),
      ["overlap.safetensors", 'tensor "b"', 'overlaps tensor "a"'],
    ],
    [
      "a gap of uncovered bytes",
      () =>
        craft(TMP, "gap.safetensors", {
          a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
          b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
        }, f32Bytes([1, 2, 3])),
      ["gap.safetensors", "bytes 4..8 belong to no tensor", 'tensor "b"'],
    ],
    [
      "trailing uncovered bytes",
      () => craft(TMP, "trail.safetensors", ok, f32Bytes([1, 2, 3])),
      ["trail.safetensors", "bytes 8..12 belong to no tensor", 'after tensor "a"'],
    ],
    [
      "unknown dtype",
      () =>
        craft(TMP, "dtype.safetensors", {
          a: { dtype: "Q4_K", shape: [2], data_offsets: [0, 8] },
        }, f32Bytes([1, 2])),
      ["dtype.safetensors", 'tensor "a"', '"Q4_K" is unknown'],
    ],
    [
      "known but unsupported dtype",
      () =>
        craft(TMP, "i64.safetensors", {
          a: { dtype: "I64", shape: [1], data_offsets: [0, 8] },
        }, f32Bytes([1, 2])),
      ["i64.safetensors", 'tensor "a"', '"I64" is not supported'],
    ],
    [
      "byte size disagreeing with the shape",
      () =>
        craft(TMP, "size.safetensors", {
          a: { dtype: "F32", shape: [3], data_offsets: [0, 8] },
        }, f32Bytes([1, 2])),
      ["size.safetensors", 'tensor "a"', "holds 8 bytes", "needs 12"],
    ],
    [
      "a malformed shape",
      () =>
        craft(TMP, "shape.safetensors", {
          a: { dtype: "F32", shape: [2.5], data_offsets: [0, 8] },
        }, f32Bytes([1, 2])),
      ["shape.safetensors", 'tensor "a"', "shape [2.5]"],
    ],
  ];
  for (const [what, make, parts] of cases) {
    await t.step(what, async () => {
      await rejects(readSafetensorsHeader(await make()), ...parts);
    });
  }
});
