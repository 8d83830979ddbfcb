/*
 * Fused float32 kernels for the msgrpo "fast" backend, loaded through Deno FFI.
 *
 * Every function works on plain row-major float32 buffers (views on the tfjs wasm heap) and
 * writes its outputs in place; sizes are int32 (element counts stay below 2^31 on a 4 GiB heap). Built by tools/setup.ts into .cache/native/.
 * Work is split over threads with OpenMP only where it pays (large loops).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MG_PAR_MIN 32768 /* elements below which loops stay on one thread */

/*
 * exp(x) for float32, written so that loops over it vectorise (libm's expf does not without
 * -ffast-math): x = k·ln2 + y with |y| ≤ ln2/2, e^y by its degree-7 Taylor polynomial (relative
 * error < 1e-7), 2^k by building the exponent bits. Inputs are clamped to [-87.3, 88.7]; callers
 * that need exact zeros for -inf test for it themselves.
 */
static inline float mg_exp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  float k = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  float y = x - k * 0.693145751953125f - k * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * y + 1.0f / 720.0f;
  p = p * y + 1.0f / 120.0f;
  p = p * y + 1.0f / 24.0f;
  p = p * y + 1.0f / 6.0f;
  p = p * y + 0.5f;
  p = p * y + 1.0f;
  p = p * y + 1.0f;
  int32_t bits = ((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/** ABI version; bump when a signature changes so stale builds are rebuilt. */
int32_t mg_version(void) { return 6; }

/** Threads OpenMP would use (1 when built without OpenMP). */
int32_t mg_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/** Sum x viewed as [outer, red, inner] over its middle axis into out [outer, inner]. */
void mg_sum_mid(const float *x, int32_t outer, int32_t red, int32_t inner, float *out) {
  if (inner == 1) {
#pragma omp parallel for if (outer * red > MG_PAR_MIN) schedule(static)
    for (int64_t o = 0; o < outer; o++) {
      const float *p = x + o * red;
      float s = 0.f;
      for (int64_t r = 0; r < red; r++) s += p[r];
      out[o] = s;
    }
    return;
  }
  for (int64_t o = 0; o < outer; o++) {
    float *dst = out + o * inner;
    const float *src = x + o * red * inner;
#pragma omp parallel if (red * inner > 4 * MG_PAR_MIN)
    {
#ifdef _OPENMP
      int nt = omp_get_num_threads(), t = omp_get_thread_num();
#else
      int nt = 1, t = 0;
#endif
      int64_t chunk = (inner + nt - 1) / nt;
      int64_t c0 = t * chunk, c1 = c0 + chunk > inner ? inner : c0 + chunk;
      if (c0 < c1) {
        memcpy(dst + c0, src + c0, (size_t)(c1 - c0) * sizeof(float));
        for (int64_t r = 1; r < red; r++) {
          const float *row = src + r * inner;
          for (int64_t c = c0; c < c1; c++) dst[c] += row[c];
        }
      }
    }
  }
}

/** y = x * rsqrt(mean(x^2) + eps) * w over rows of length cols. */
void mg_rmsnorm_fwd(const float *x, const float *w, int32_t rows, int32_t cols, float eps,
                    float *y) {
#pragma omp parallel for if (rows * cols > MG_PAR_MIN) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float ss = 0.f;
    for (int64_t c = 0; c < cols; c++) ss += xr[c] * xr[c];
    float rs = 1.0f / sqrtf(ss / (float)cols + eps);
    for (int64_t c = 0; c < cols; c++) yr[c] = xr[c] * rs * w[c];
  }
}

/**
 * Gradients of mg_rmsnorm_fwd: dx [rows, cols] and dw [cols] (dw is overwritten).
 * Per-thread dw partials are summed at the end.
 */
void mg_rmsnorm_bwd(const float *dy, const float *x, const float *w, int32_t rows, int32_t cols,
                    float eps, float *dx, float *dw) {
  int nt_used = 1, max_threads = mg_threads();
  float *scratch = (float *)malloc((size_t)(max_threads * cols) * sizeof(float));
#pragma omp parallel if (rows * cols > MG_PAR_MIN) num_threads(max_threads)
  {
#ifdef _OPENMP
    int nt = omp_get_num_threads(), t = omp_get_thread_num();
#else
    int nt = 1, t = 0;
#endif
#pragma omp single
    nt_used = nt;
    float *acc = scratch + (int64_t)t * cols;
    memset(acc, 0, (size_t)cols * sizeof(float));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * cols, *gr = dy + r * cols;
      float *dxr = dx + r * cols;
      float ss = 0.f, dot = 0.f;
      for (int64_t c = 0; c < cols; c++) {
        ss += xr[c] * xr[c];
        dot += gr[c] * w[c] * xr[c];
      }
      float rs = 1.0f / sqrtf(ss / (float)cols + eps);
      float k = dot * rs * rs * rs / (float)cols;
      for (int64_t c = 0; c < cols; c++) {
        dxr[c] = gr[c] * w[c] * rs - xr[c] * k;
        acc[c] += gr[c] * xr[c] * rs;
      }
    }
    (void)nt;
  }
  memcpy(dw, scratch, (size_t)cols * sizeof(float));
  for (int t = 1; t < nt_used; t++) {
    const float *acc = scratch + (int64_t)t * cols;
    for (int64_t c = 0; c < cols; c++) dw[c] += acc[c];
  }
  free(scratch);
}

/** y = silu(g) * u elementwise. */
void mg_swiglu_fwd(const float *g, const float *u, int32_t n, float *y) {
#pragma omp parallel for if (n > MG_PAR_MIN) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float s = 1.0f / (1.0f + mg_exp(-g[i]));
    y[i] = g[i] * s * u[i];
  }
}

/** Gradients of mg_swiglu_fwd: dg, du. */
void mg_swiglu_bwd(const float *dy, const float *g, const float *u, int32_t n, float *dg,
                   float *du) {
#pragma omp parallel for if (n > MG_PAR_MIN) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float s = 1.0f / (1.0f + mg_exp(-g[i]));
    float gs = g[i] * s;
    du[i] = dy[i] * gs;
    dg[i] = dy[i] * u[i] * (s + gs * (1.0f - s));
  }
}

/* Transpose rows 0..S-1 of x (row stride ld, width D) into xt [D, S]. */
static void mg_transpose_rows(const float *x, int64_t ld, int64_t S, int64_t D, float *xt) {
  for (int64_t j = 0; j < S; j++) {
    const float *xj = x + j * ld;
    for (int64_t c = 0; c < D; c++) xt[c * S + j] = xj[c];
  }
}

/* 16 floats as one vector value (unaligned access allowed); GCC/Clang lower it to the host ISA. */
typedef float mg_v16 __attribute__((vector_size(64), aligned(4)));
#define MG_V16(p) (*(mg_v16 *)(p))

/* Round up to a whole number of 16-float vectors. */
#define MG_PAD16(n) (((n) + 15) & ~(int64_t)15)

/*
 * s[j] = scale · Σ_c q[c]·xt[c·S + j] for j < MG_PAD16(n) (xt: transposed rows, [D, S]). Scores
 * are computed in whole vectors: s needs MG_PAD16(n) floats, xt D·S + 16 readable floats, and
 * s[n..MG_PAD16(n)) holds garbage the caller masks.
 */
static void mg_dots_t(const float *q, const float *xt, int64_t S, int64_t D, int64_t n,
                      float scale, float *s) {
  n = MG_PAD16(n);
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) {
    mg_v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int64_t c = 0; c < D; c++) {
      const float *r = xt + c * S + j, qc = q[c];
      a0 += qc * MG_V16(r);
      a1 += qc * MG_V16(r + 16);
      a2 += qc * MG_V16(r + 32);
      a3 += qc * MG_V16(r + 48);
    }
    MG_V16(s + j) = a0 * scale;
    MG_V16(s + j + 16) = a1 * scale;
    MG_V16(s + j + 32) = a2 * scale;
    MG_V16(s + j + 48) = a3 * scale;
  }
  for (; j < n; j += 16) {
    mg_v16 a0 = {0};
    for (int64_t c = 0; c < D; c++) a0 += q[c] * MG_V16(xt + c * S + j);
    MG_V16(s + j) = a0 * scale;
  }
}

/*
 * out[c] = Σ_{j<n} w[j]·x[j·ld + c] for c < D, accumulated in registers; with acc the sum is
 * added to out instead of overwriting it.
 */
static void mg_wsum_rows(const float *w, const float *x, int64_t ld, int64_t n, int64_t D,
                         int acc, float *out) {
  int64_t c = 0;
  for (; c + 64 <= D; c += 64) {
    mg_v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int64_t j = 0; j < n; j++) {
      const float *r = x + j * ld + c, wj = w[j];
      a0 += wj * MG_V16(r);
      a1 += wj * MG_V16(r + 16);
      a2 += wj * MG_V16(r + 32);
      a3 += wj * MG_V16(r + 48);
    }
    if (acc) {
      a0 += MG_V16(out + c);
      a1 += MG_V16(out + c + 16);
      a2 += MG_V16(out + c + 32);
      a3 += MG_V16(out + c + 48);
    }
    MG_V16(out + c) = a0;
    MG_V16(out + c + 16) = a1;
    MG_V16(out + c + 32) = a2;
    MG_V16(out + c + 48) = a3;
  }
  for (; c + 32 <= D; c += 32) {
    mg_v16 a0 = {0}, a1 = {0};
    for (int64_t j = 0; j < n; j++) {
      const float *r = x + j * ld + c, wj = w[j];
      a0 += wj * MG_V16(r);
      a1 += wj * MG_V16(r + 16);
    }
    if (acc) {
      a0 += MG_V16(out + c);
      a1 += MG_V16(out + c + 16);
    }
    MG_V16(out + c) = a0;
    MG_V16(out + c + 16) = a1;
  }
  for (; c + 16 <= D; c += 16) {
    mg_v16 a0 = {0};
    for (int64_t j = 0; j < n; j++) a0 += w[j] * MG_V16(x + j * ld + c);
    if (acc) a0 += MG_V16(out + c);
    MG_V16(out + c) = a0;
  }
  for (; c < D; c++) {
    float a = 0.f;
    for (int64_t j = 0; j < n; j++) a += w[j] * x[j * ld + c];
    out[c] = acc ? out[c] + a : a;
  }
}

/*
 * mg_dots_t for four query rows at once (row r at q + r·ldq, scores at s + r·lds): each loaded
 * vector of transposed keys serves four rows. Computes MG_PAD16(n) scores per row, like mg_dots_t.
 */
static void mg_dots_t4(const float *q, int64_t ldq, const float *xt, int64_t S, int64_t D,
                       int64_t n, float scale, float *s, int64_t lds) {
  n = MG_PAD16(n);
  const float *q0 = q, *q1 = q + ldq, *q2 = q + 2 * ldq, *q3 = q + 3 * ldq;
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    mg_v16 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0};
    for (int64_t c = 0; c < D; c++) {
      const float *r = xt + c * S + j;
      mg_v16 x0 = MG_V16(r), x1 = MG_V16(r + 16);
      a00 += q0[c] * x0;
      a01 += q0[c] * x1;
      a10 += q1[c] * x0;
      a11 += q1[c] * x1;
      a20 += q2[c] * x0;
      a21 += q2[c] * x1;
      a30 += q3[c] * x0;
      a31 += q3[c] * x1;
    }
    MG_V16(s + j) = a00 * scale;
    MG_V16(s + j + 16) = a01 * scale;
    MG_V16(s + lds + j) = a10 * scale;
    MG_V16(s + lds + j + 16) = a11 * scale;
    MG_V16(s + 2 * lds + j) = a20 * scale;
    MG_V16(s + 2 * lds + j + 16) = a21 * scale;
    MG_V16(s + 3 * lds + j) = a30 * scale;
    MG_V16(s + 3 * lds + j + 16) = a31 * scale;
  }
  for (; j < n; j += 16) {
    mg_v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int64_t c = 0; c < D; c++) {
      mg_v16 x0 = MG_V16(xt + c * S + j);
      a0 += q0[c] * x0;
      a1 += q1[c] * x0;
      a2 += q2[c] * x0;
      a3 += q3[c] * x0;
    }
    MG_V16(s + j) = a0 * scale;
    MG_V16(s + lds + j) = a1 * scale;
    MG_V16(s + 2 * lds + j) = a2 * scale;
    MG_V16(s + 3 * lds + j) = a3 * scale;
  }
}

/*
 * mg_wsum_rows for four weight rows at once (w + r·ldw → out + r·ldo, overwritten): each loaded
 * row of x serves four outputs. Weights must be 0 where a row should not sum (beyond its keys).
 */
static void mg_wsum_rows4(const float *w, int64_t ldw, const float *x, int64_t ld, int64_t n,
                          int64_t D, float *out, int64_t ldo) {
  int64_t c = 0;
  for (; c + 64 <= D; c += 64) {
    mg_v16 acc[4][4] = {{{0}}};
    for (int64_t j = 0; j < n; j++) {
      const float *r = x + j * ld + c;
      mg_v16 x0 = MG_V16(r), x1 = MG_V16(r + 16), x2 = MG_V16(r + 32), x3 = MG_V16(r + 48);
      for (int i = 0; i < 4; i++) {
        float wj = w[i * ldw + j];
        acc[i][0] += wj * x0;
        acc[i][1] += wj * x1;
        acc[i][2] += wj * x2;
        acc[i][3] += wj * x3;
      }
    }
    for (int i = 0; i < 4; i++)
      for (int u = 0; u < 4; u++) MG_V16(out + i * ldo + c + 16 * u) = acc[i][u];
  }
  for (; c + 16 <= D; c += 16) {
    mg_v16 acc[4] = {{0}};
    for (int64_t j = 0; j < n; j++) {
      mg_v16 xr = MG_V16(x + j * ld + c);
      for (int i = 0; i < 4; i++) acc[i] += w[i * ldw + j] * xr;
    }
    for (int i = 0; i < 4; i++) MG_V16(out + i * ldo + c) = acc[i];
  }
  for (; c < D; c++) {
    for (int i = 0; i < 4; i++) {
      float a = 0.f;
      for (int64_t j = 0; j < n; j++) a += w[i * ldw + j] * x[j * ld + c];
      out[i * ldo + c] = a;
    }
  }
}

/*
 * Turn scores s[0..n) into softmax weights in place; keys with keymask[j] == 0 get weight 0, and
 * so do s[n..MG_PAD16(n)) (s needs that room): every loop runs over whole vectors. Returns 0 when
 * no key is visible (s is then all zeros), else 1.
 */
static int mg_softmax_visible(float *s, int64_t n, const float *keymask) {
  int64_t n16 = MG_PAD16(n);
  if (keymask) {
    for (int64_t j = 0; j < n; j++)
      if (keymask[j] == 0.f) s[j] = -INFINITY;
  }
  for (int64_t j = n; j < n16; j++) s[j] = -INFINITY;
  float m = -INFINITY;
  for (int64_t j0 = 0; j0 < n16; j0 += 16) {
#pragma omp simd reduction(max : m)
    for (int64_t j = j0; j < j0 + 16; j++) m = s[j] > m ? s[j] : m;
  }
  if (m == -INFINITY) {
    for (int64_t j = 0; j < n16; j++) s[j] = 0.f;
    return 0;
  }
  float l = 0.f;
  for (int64_t j0 = 0; j0 < n16; j0 += 16) {
#pragma omp simd reduction(+ : l)
    for (int64_t j = j0; j < j0 + 16; j++) {
      /* exp unconditionally, then select: a call under the condition would not vectorise. */
      float e = mg_exp(s[j] - m);
      float p = s[j] == -INFINITY ? 0.f : e;
      s[j] = p;
      l += p;
    }
  }
  float inv = 1.0f / l;
  for (int64_t j0 = 0; j0 < n16; j0 += 16) {
#pragma omp simd
    for (int64_t j = j0; j < j0 + 16; j++) s[j] *= inv;
  }
  return 1;
}

/*
 * Softmax weights of one query row against keys 0..last (inclusive): s[j] = q·k_j·scale from the
 * transposed keys kt [D, S]; masked keys give 0. Returns 0 when no key is visible.
 */
static int mg_row_probs(const float *qi, const float *kt, int64_t S, int64_t D, int64_t last,
                        const float *keymask, float scale, float *s) {
  mg_dots_t(qi, kt, S, D, last + 1, scale, s);
  return mg_softmax_visible(s, last + 1, keymask);
}

/* s[j] = scale · q·x_j for j < n, x_j = x + j·ld (rows read in place, no transpose). */
static void mg_dots_rows(const float *q, const float *x, int64_t ld, int64_t D, int64_t n,
                         float scale, float *s) {
  int64_t d16 = D - D % 16;
  for (int64_t j = 0; j < n; j++) {
    const float *xj = x + j * ld;
    mg_v16 a = {0};
    for (int64_t c = 0; c < d16; c += 16) a += MG_V16(q + c) * MG_V16(xj + c);
    float d = 0.f;
    for (int c = 0; c < 16; c++) d += a[c];
    for (int64_t c = d16; c < D; c++) d += q[c] * xj[c];
    s[j] = d * scale;
  }
}

/* Whether an attention call is big enough to split over threads. */
static int mg_attention_parallel(int64_t B, int64_t NH, int64_t T, int64_t S, int64_t D) {
  return B * NH * T * S * D > 64 * MG_PAR_MIN && B * NH > 1;
}

/* Query rows per kv head (rep·T) up to which scores read keys in place instead of transposing. */
#define MG_ATT_DIRECT 8

/**
 * Causal grouped-query attention forward.
 * q, o: [B, T, NH, D]; k, v: [B, ldS, KV, D] of which positions 0..S-1 are used (ldS ≥ S: a
 * KV cache with spare capacity; ldS = S otherwise); keymask: [B, S] (1 keeps a key, 0 drops it)
 * or NULL. Query t sits at absolute position S - T + t and sees keys 0..S-T+t. Query head h
 * reads kv head h / (NH / KV). Rows with no visible key give zeros. Work is split over (batch,
 * kv head). With many query rows per kv head, keys are transposed once per group so that scores
 * vectorise over keys; with few (decoding), scores read the key rows in place.
 */
void mg_attention_fwd(const float *q, const float *k, const float *v, const float *keymask,
                      int32_t B, int32_t T, int32_t S, int32_t ldS, int32_t NH, int32_t KV,
                      int32_t D, float scale, float *o) {
  int64_t rep = NH / KV, off = S - T, ld = (int64_t)KV * D;
  int direct = rep * T <= MG_ATT_DIRECT;
#pragma omp parallel if (mg_attention_parallel(B, NH, T, S, D))
  {
    /* Four score rows, each padded to whole vectors; transposed keys padded by one vector. */
    int64_t lds = MG_PAD16(S), ldq = (int64_t)NH * D;
    float *s = (float *)malloc((size_t)(4 * lds) * sizeof(float));
    float *kt = direct ? NULL : (float *)calloc((size_t)(S * D + 16), sizeof(float));
#pragma omp for schedule(dynamic, 1) collapse(2)
    for (int64_t b = 0; b < B; b++) {
      for (int64_t kh = 0; kh < KV; kh++) {
        const float *kb = k + (b * ldS * KV + kh) * D, *vb = v + (b * ldS * KV + kh) * D;
        const float *mb = keymask ? keymask + b * S : NULL;
        if (!direct) mg_transpose_rows(kb, ld, S, D, kt);
        for (int64_t h = kh * rep; h < (kh + 1) * rep; h++) {
          int64_t t = 0;
          /* Four query rows at a time: every key and value row loaded serves all four. */
          for (; !direct && t + 4 <= T; t += 4) {
            int64_t nmax = off + t + 3 < S ? off + t + 4 : S;
            mg_dots_t4(q + ((b * T + t) * NH + h) * D, ldq, kt, S, D, nmax, scale, s, lds);
            for (int64_t r = 0; r < 4; r++) {
              int64_t n = off + t + r < S ? off + t + r + 1 : S, n16 = MG_PAD16(n);
              float *sr = s + r * lds;
              mg_softmax_visible(sr, n, mb); /* an invisible row is all zeros: output 0 */
              for (int64_t j = n16; j < nmax; j++) sr[j] = 0.f;
            }
            mg_wsum_rows4(s, lds, vb, ld, nmax, D, o + ((b * T + t) * NH + h) * D, ldq);
          }
          for (; t < T; t++) {
            const float *qi = q + ((b * T + t) * NH + h) * D;
            float *oi = o + ((b * T + t) * NH + h) * D;
            int64_t last = off + t < S ? off + t : S - 1;
            int visible;
            if (direct) {
              mg_dots_rows(qi, kb, ld, D, last + 1, scale, s);
              visible = mg_softmax_visible(s, last + 1, mb);
            } else {
              visible = mg_row_probs(qi, kt, S, D, last, mb, scale, s);
            }
            if (!visible) {
              for (int64_t c = 0; c < D; c++) oi[c] = 0.f;
              continue;
            }
            mg_wsum_rows(s, vb, ld, last + 1, D, 0, oi);
          }
        }
      }
    }
    free(kt);
    free(s);
  }
}

#define MG_ATT_TB 128 /* query rows per backward block (bounds the P and dS scratch) */

/*
 * out[(j0 + i)·ldo + c] += Σ_{r0 ≤ r < r1} a[r·lda + j0 + i] · x[r·ldx + c] for i < jn (≤ 4),
 * c < D: four output rows at a time with their partial sums in registers (16 vectors for
 * D = 64), reading each row of x once per four outputs.
 */
static void mg_acc_tn4(const float *a, int64_t lda, int64_t j0, int64_t jn, const float *x,
                       int64_t ldx, int64_t r0, int64_t r1, int64_t D, float *out,
                       int64_t ldo) {
  int64_t c = 0;
  if (jn == 4) {
    for (; c + 64 <= D; c += 64) {
      mg_v16 acc[4][4] = {{{0}}};
      for (int64_t r = r0; r < r1; r++) {
        const float *ar = a + r * lda + j0, *xr = x + r * ldx + c;
        mg_v16 x0 = MG_V16(xr), x1 = MG_V16(xr + 16), x2 = MG_V16(xr + 32),
               x3 = MG_V16(xr + 48);
        for (int i = 0; i < 4; i++) {
          float w = ar[i];
          acc[i][0] += w * x0;
          acc[i][1] += w * x1;
          acc[i][2] += w * x2;
          acc[i][3] += w * x3;
        }
      }
      for (int i = 0; i < 4; i++) {
        float *oi = out + (j0 + i) * ldo + c;
        for (int u = 0; u < 4; u++) MG_V16(oi + 16 * u) += acc[i][u];
      }
    }
    for (; c + 16 <= D; c += 16) {
      mg_v16 acc[4] = {{0}};
      for (int64_t r = r0; r < r1; r++) {
        const float *ar = a + r * lda + j0;
        mg_v16 xr = MG_V16(x + r * ldx + c);
        for (int i = 0; i < 4; i++) acc[i] += ar[i] * xr;
      }
      for (int i = 0; i < 4; i++) MG_V16(out + (j0 + i) * ldo + c) += acc[i];
    }
  }
  /* Fewer than four outputs, or the last D % 16 columns. */
  for (int64_t i = 0; i < jn; i++) {
    float *oi = out + (j0 + i) * ldo;
    for (int64_t r = r0; r < r1; r++) {
      float w = a[r * lda + j0 + i];
      const float *xr = x + r * ldx;
      for (int64_t cc = c; cc < D; cc++) oi[cc] += w * xr[cc];
    }
  }
}

/*
 * One query row of the attention backward, in place on its padded rows of P and dS (ldp floats
 * each): s holds the scores and dp the products do·v_j for keys 0..MG_PAD16(n) − 1. Turns s into
 * the softmax P and dp into dS = P ∘ (dp − do·o) · scale, zero beyond key n − 1 (and everywhere
 * for a row that sees no key).
 */
static void mg_grad_scores_row(float *s, float *dp, int64_t n, int64_t ldp, const float *keymask,
                               const float *gi, const float *oi, int64_t D, float scale) {
  int64_t n16 = MG_PAD16(n);
  mg_softmax_visible(s, n, keymask);
  float di = 0.f;
  for (int64_t c = 0; c < D; c++) di += gi[c] * oi[c];
  /* s is 0 from n on (and dp finite), so dS is too. */
  for (int64_t j0 = 0; j0 < n16; j0 += 16) {
#pragma omp simd
    for (int64_t j = j0; j < j0 + 16; j++) dp[j] = s[j] * (dp[j] - di) * scale;
  }
  if (n16 < ldp) {
    memset(s + n16, 0, (size_t)(ldp - n16) * sizeof(float));
    memset(dp + n16, 0, (size_t)(ldp - n16) * sizeof(float));
  }
}

/**
 * Backward of mg_attention_fwd (with ldS = S) given o and do; writes dq [B,T,NH,D], dk and dv
 * [B,S,KV,D] (overwritten). Work is split over (batch, kv head) so dk/dv rows have a single
 * writer. Per block of query rows, P and dS are kept row-major (causally hidden entries are 0)
 * and dk += dSᵀ·q, dv += Pᵀ·do accumulate four key rows at a time in registers.
 */
void mg_attention_bwd(const float *q, const float *k, const float *v, const float *keymask,
                      const float *o, const float *dout, int32_t B, int32_t T, int32_t S,
                      int32_t NH, int32_t KV, int32_t D, float scale, float *dq, float *dk,
                      float *dv) {
  int64_t rep = NH / KV, off = S - T, ld = (int64_t)KV * D, ldq = (int64_t)NH * D;
  int64_t ldp = MG_PAD16(S); /* row length of the P and dS blocks */
  memset(dk, 0, (size_t)((int64_t)B * S * KV * D) * sizeof(float));
  memset(dv, 0, (size_t)((int64_t)B * S * KV * D) * sizeof(float));
#pragma omp parallel if (mg_attention_parallel(B, NH, T, S, D))
  {
    /* Padded by one vector: transposed keys and values are read in whole vectors. */
    float *kt = (float *)calloc((size_t)(S * D + 16), sizeof(float));
    float *vt = (float *)calloc((size_t)(S * D + 16), sizeof(float));
    float *pr = (float *)malloc((size_t)(ldp * MG_ATT_TB) * sizeof(float));
    float *dsr = (float *)malloc((size_t)(ldp * MG_ATT_TB) * sizeof(float));
#pragma omp for schedule(dynamic, 1) collapse(2)
    for (int64_t b = 0; b < B; b++) {
      for (int64_t kh = 0; kh < KV; kh++) {
        const float *kb = k + (b * S * KV + kh) * D, *vb = v + (b * S * KV + kh) * D;
        float *dkb = dk + (b * S * KV + kh) * D, *dvb = dv + (b * S * KV + kh) * D;
        const float *mb = keymask ? keymask + b * S : NULL;
        mg_transpose_rows(kb, ld, S, D, kt);
        mg_transpose_rows(vb, ld, S, D, vt);
        for (int64_t h = kh * rep; h < (kh + 1) * rep; h++) {
          for (int64_t t0 = 0; t0 < T; t0 += MG_ATT_TB) {
            int64_t tb = T - t0 < MG_ATT_TB ? T - t0 : MG_ATT_TB;
            int64_t tt = 0;
            /* Four query rows at a time: every key and value row loaded serves all four. */
            for (; tt + 4 <= tb; tt += 4) {
              int64_t t = t0 + tt, qo = ((b * T + t) * NH + h) * D;
              int64_t nmax = off + t + 3 < S ? off + t + 4 : S;
              float *s4 = pr + tt * ldp, *dp4 = dsr + tt * ldp;
              mg_dots_t4(q + qo, ldq, kt, S, D, nmax, scale, s4, ldp);
              mg_dots_t4(dout + qo, ldq, vt, S, D, nmax, 1.0f, dp4, ldp);
              for (int64_t r = 0; r < 4; r++) {
                int64_t n = off + t + r < S ? off + t + r + 1 : S;
                mg_grad_scores_row(s4 + r * ldp, dp4 + r * ldp, n, ldp, mb, dout + qo + r * ldq,
                                   o + qo + r * ldq, D, scale);
              }
              mg_wsum_rows4(dp4, ldp, kb, ld, nmax, D, dq + qo, ldq);
            }
            for (; tt < tb; tt++) {
              int64_t t = t0 + tt, qo = ((b * T + t) * NH + h) * D;
              int64_t n = off + t < S ? off + t + 1 : S;
              float *s = pr + tt * ldp, *dp = dsr + tt * ldp;
              mg_dots_t(q + qo, kt, S, D, n, scale, s);
              mg_dots_t(dout + qo, vt, S, D, n, 1.0f, dp);
              mg_grad_scores_row(s, dp, n, ldp, mb, dout + qo, o + qo, D, scale);
              mg_wsum_rows(dp, kb, ld, n, D, 0, dq + qo); /* 0 for a row that sees no key */
            }
            /* Key j is seen by rows tt ≥ j − off − t0 of this block (P and dS are 0 above). */
            const float *qb = q + ((b * T + t0) * NH + h) * D, *gb = dout + ((b * T + t0) * NH + h) * D;
            for (int64_t j0 = 0; j0 < S; j0 += 4) {
              int64_t first = j0 - off - t0, jn = S - j0 < 4 ? S - j0 : 4;
              if (first < 0) first = 0;
              if (first >= tb) break;
              mg_acc_tn4(pr, ldp, j0, jn, gb, ldq, first, tb, D, dvb, ld);
              mg_acc_tn4(dsr, ldp, j0, jn, qb, ldq, first, tb, D, dkb, ld);
            }
          }
        }
      }
    }
    free(dsr);
    free(pr);
    free(vt);
    free(kt);
  }
}

/** out[r] = logits[r, targets[r]] - logsumexp(logits[r, :]) for rows of length V. */
void mg_logprobs_fwd(const float *logits, const int32_t *targets, int32_t rows, int32_t V,
                     float *out) {
#pragma omp parallel for if (rows * V > MG_PAR_MIN) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *x = logits + r * V;
    float m = -INFINITY;
    for (int64_t c = 0; c < V; c++) m = x[c] > m ? x[c] : m;
    float l = 0.f;
    for (int64_t c = 0; c < V; c++) l += expf(x[c] - m);
    out[r] = x[targets[r]] - m - logf(l);
  }
}

/** dlogits[r, c] = dy[r] * (onehot(targets[r])[c] - softmax(logits[r])[c]). */
void mg_logprobs_bwd(const float *logits, const int32_t *targets, const float *dy, int32_t rows,
                     int32_t V, float *dlogits) {
#pragma omp parallel for if (rows * V > MG_PAR_MIN) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *x = logits + r * V;
    float *d = dlogits + r * V;
    float m = -INFINITY;
    for (int64_t c = 0; c < V; c++) m = x[c] > m ? x[c] : m;
    float l = 0.f;
    for (int64_t c = 0; c < V; c++) {
      float e = expf(x[c] - m);
      d[c] = e;
      l += e;
    }
    float k = -dy[r] / l;
    for (int64_t c = 0; c < V; c++) d[c] *= k;
    d[targets[r]] += dy[r];
  }
}

/** out (zeroed here) [segments, inner]: out[ids[i]] += x[i] for i < n; ids outside are dropped. */
void mg_segment_sum(const float *x, const int32_t *ids, int32_t n, int32_t inner,
                    int32_t segments, float *out) {
  memset(out, 0, (size_t)(segments * inner) * sizeof(float));
  for (int64_t i = 0; i < n; i++) {
    int64_t s = ids[i];
    if (s < 0 || s >= segments) continue;
    float *dst = out + s * inner;
    const float *src = x + i * inner;
    for (int64_t c = 0; c < inner; c++) dst[c] += src[c];
  }
}

/**
 * In-place AdamW (decoupled weight decay, as torch.optim.AdamW):
 * p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
 */
void mg_adamw(float *p, const float *g, float *m, float *v, int32_t n, float lr, float b1,
              float b2, float eps, float wd, float bc1, float bc2) {
  float decay = 1.0f - lr * wd, step = lr / bc1, rbc2 = 1.0f / sqrtf(bc2);
#pragma omp parallel for if (n > 4 * MG_PAR_MIN) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step * mi / (sqrtf(vi) * rbc2 + eps);
  }
}

/**
 * Rotary position embedding (rotate_half form) in place of a copy: x, y [rows, M] with M a
 * multiple of D = 2·half; cos, sin [rows, half]. For each head slice (a, b) = (x[i], x[i+half]):
 * y[i] = a·c − b·s, y[i+half] = b·c + a·s. sign = −1 applies the inverse rotation (the gradient).
 */
void mg_rope(const float *x, const float *cos_t, const float *sin_t, int32_t rows, int32_t M,
             int32_t half, float sign, float *y) {
  int64_t D = 2 * (int64_t)half;
#pragma omp parallel for if ((int64_t)rows * M > 4 * MG_PAR_MIN) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *c = cos_t + r * half, *s = sin_t + r * half;
    for (int64_t h = 0; h < M; h += D) {
      const float *xa = x + r * M + h, *xb = xa + half;
      float *ya = y + r * M + h, *yb = ya + half;
      for (int64_t i = 0; i < half; i++) {
        float a = xa[i], b = xb[i], ci = c[i], si = sign * s[i];
        ya[i] = a * ci - b * si;
        yb[i] = b * ci + a * si;
      }
    }
  }
}

/**
 * Gather of 4-byte elements: x viewed as [outer, dim, inner], out [outer, n, inner] with
 * out[o, i, :] = x[o, ids[i], :]. Ids must be in [0, dim) (checked by the caller).
 */
void mg_gather(const uint32_t *x, const int32_t *ids, int32_t outer, int32_t dim, int32_t inner,
               int32_t n, uint32_t *out) {
  if (inner == 1) {
    for (int64_t o = 0; o < outer; o++) {
      const uint32_t *src = x + o * dim;
      uint32_t *dst = out + o * n;
      for (int64_t i = 0; i < n; i++) dst[i] = src[ids[i]];
    }
    return;
  }
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < n; i++) {
      memcpy(out + (o * n + i) * inner, x + (o * dim + ids[i]) * inner,
             (size_t)inner * sizeof(uint32_t));
    }
  }
}
