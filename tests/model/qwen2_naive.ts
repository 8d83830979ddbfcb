/**
 * Test helpers: an independent plain-TypeScript (float64 loops) Qwen2 forward pass written from
 * docs/model.md, and seeded random weights/configs for tiny models.
 *
 * @module
 */
import type { Qwen2Config } from "../../lib/model/config.ts";
import type { Weights } from "../../lib/model/checkpoint.ts";
import { Rng } from "../../lib/util/rng.ts";

/** A tiny config for tests. */
export function tinyConfig(over: Partial<Qwen2Config> = {}): Qwen2Config {
  return {
    vocabSize: 37,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 4,
    intermediateSize: 24,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 512,
    torchDtype: "float32",
    eosTokenIds: [1],
    ...over,
  };
}

function _shapes(c: Qwen2Config): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  m.set("model.embed_tokens.weight", [c.vocabSize, H]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [H]);
    m.set(`${p}self_attn.q_proj.weight`, [q, H]);
    m.set(`${p}self_attn.q_proj.bias`, [q]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, H]);
    m.set(`${p}self_attn.k_proj.bias`, [kv]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, H]);
    m.set(`${p}self_attn.v_proj.bias`, [kv]);
    m.set(`${p}self_attn.o_proj.weight`, [H, q]);
    m.set(`${p}post_attention_layernorm.weight`, [H]);
    m.set(`${p}mlp.gate_proj.weight`, [c.intermediateSize, H]);
    m.set(`${p}mlp.up_proj.weight`, [c.intermediateSize, H]);
    m.set(`${p}mlp.down_proj.weight`, [H, c.intermediateSize]);
  }
  m.set("model.norm.weight", [H]);
  if (!c.tieWordEmbeddings) m.set("lm_head.weight", [c.vocabSize, H]);
  return m;
}

/** Seeded random weights in HF layout: norms near 1, everything else N(0, std²). */
export function randomWeights(c: Qwen2Config, seed: number, std = 0.3): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  for (const [name, shape] of _shapes(c)) {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    const isNorm = name.endsWith("norm.weight");
    for (let i = 0; i < n; i++) data[i] = isNorm ? 1 + 0.2 * rng.normal() : std * rng.normal();
    w.set(name, { shape, data });
  }
  return w;
}

function _get(w: Weights, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`naive: missing ${name}`);
  return t.data;
}

function _rms(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ms = 0;
  for (const v of x) ms += v * v;
  const r = 1 / Math.sqrt(ms / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

/** y = W x (+ b), W stored [out, in]. */
function _lin(x: Float64Array, w: Float32Array, out: number, b?: Float32Array): Float64Array {
  const inn = x.length, y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inn; i++) s += w[o * inn + i] * x[i];
    y[o] = s;
  }
  return y;
}

function _rope(
  x: Float64Array,
  heads: number,
  d: number,
  pos: number,
  theta: number,
): Float64Array {
  const out = new Float64Array(x.length), h = d / 2;
  for (let hd = 0; hd < heads; hd++) {
    for (let i = 0; i < d; i++) {
      const fi = i % h;
      const ang = pos * Math.pow(theta, -(2 * fi) / d);
      const xi = x[hd * d + i];
      const rot = i < h ? -x[hd * d + i + h] : x[hd * d + i - h];
      out[hd * d + i] = xi * Math.cos(ang) + rot * Math.sin(ang);
    }
  }
  return out;
}

/**
 * Logits of one unpadded sequence, `[T][V]`, computed with float64 loops.
 *
 * @param c config.
 * @param w weights in HF layout.
 * @param ids token ids.
 */
export function naiveForward(c: Qwen2Config, w: Weights, ids: number[]): Float64Array[] {
  const H = c.hiddenSize, D = c.headDim, nh = c.numHeads, nkv = c.numKvHeads, rep = nh / nkv;
  const emb = _get(w, "model.embed_tokens.weight");
  let hs = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const qs: Float64Array[] = [], ks: Float64Array[] = [], vs: Float64Array[] = [];
    hs.forEach((h, t) => {
      const x = _rms(h, _get(w, `${p}input_layernorm.weight`), c.rmsNormEps);
      const q = _lin(
        x,
        _get(w, `${p}self_attn.q_proj.weight`),
        nh * D,
        _get(w, `${p}self_attn.q_proj.bias`),
      );
      const k = _lin(
        x,
        _get(w, `${p}self_attn.k_proj.weight`),
        nkv * D,
        _get(w, `${p}self_attn.k_proj.bias`),
      );
      const v = _lin(
        x,
        _get(w, `${p}self_attn.v_proj.weight`),
        nkv * D,
        _get(w, `${p}self_attn.v_proj.bias`),
      );
      qs.push(_rope(q, nh, D, t, c.ropeTheta));
      ks.push(_rope(k, nkv, D, t, c.ropeTheta));
      vs.push(v);
    });
    hs = hs.map((h, t) => {
      const o = new Float64Array(nh * D);
      for (let hd = 0; hd < nh; hd++) {
        const kv = Math.floor(hd / rep);
        const sc: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < D; i++) dot += qs[t][hd * D + i] * ks[s][kv * D + i];
          sc.push(dot / Math.sqrt(D));
        }
        const m = Math.max(...sc);
        const e = sc.map((v) => Math.exp(v - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          for (let i = 0; i < D; i++) o[hd * D + i] += (e[s] / z) * vs[s][kv * D + i];
        }
      }
      const a = _lin(o, _get(w, `${p}self_attn.o_proj.weight`), H);
      const h2 = h.map((v, i) => v + a[i]);
      const y = _rms(h2, _get(w, `${p}post_attention_layernorm.weight`), c.rmsNormEps);
      const I = c.intermediateSize;
      const g = _lin(y, _get(w, `${p}mlp.gate_proj.weight`), I);
      const u = _lin(y, _get(w, `${p}mlp.up_proj.weight`), I);
      const m = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
      const d = _lin(m, _get(w, `${p}mlp.down_proj.weight`), H);
      return h2.map((v, i) => v + d[i]);
    });
  }
  const head = c.tieWordEmbeddings ? emb : _get(w, "lm_head.weight");
  return hs.map((h) =>
    _lin(_rms(h, _get(w, "model.norm.weight"), c.rmsNormEps), head, c.vocabSize)
  );
}
