"""PyTorch reference for bench/model_bench.ts: the same Qwen2 architecture, shapes and
measurements (train step = forward + next-token CE + backward + AdamW; prefill = forward;
decode = 64 new tokens after a 32-token prompt with a KV cache), one JSON line on stdout. Each
figure is the best of --steps repetitions, as in model_bench.ts.

Run with the system interpreter (Debian python3-torch + libopenblas0-pthread):
  /usr/bin/python3 bench/torch_bench.py --vocab 512 --hidden 256 --layers 4 --heads 4 \
      --kv-heads 2 --intermediate 512 --batch 8 --seq 128

`--device cuda` runs it on the GPU (any recent PyTorch with CUDA): float32 throughout, TF32 left
at PyTorch's default (off for matmul; the JSON records the setting), eager mode (no
torch.compile, no fused attention), `torch.cuda.synchronize()` inside every timed region. Decode
keeps the picked tokens on the GPU (no per-token read-back, unlike model_bench.ts, whose forward
takes token ids from the host). `--device auto` (the default) takes CUDA when
`torch.cuda.is_available()`, else the CPU. `--quick-init` is accepted for model_bench.ts's sake
and ignored.

`--lora-rank R` (R >= 1) trains only rank-R adapters on the projections named by
`--lora-targets` (default all seven; `attn` = q/k/v/o), written by hand here (no peft):
`y = W x + b + (alpha / R) * B (A x)`, A Kaiming-uniform with bound 1/sqrt(in) as PEFT, B zero,
alpha 16; every base parameter has `requires_grad = False` and AdamW gets only the adapters.
The JSON line reports `device`, `params` (base parameters, tied head once), `trainable_params`,
`lora_rank`, and on CUDA `peak_gpu_gib` (`torch.cuda.max_memory_allocated`; null on the CPU).
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F


class RMSNorm(torch.nn.Module):
    def __init__(self, h, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(h))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


LORA_TARGETS = ["q", "k", "v", "o", "gate", "up", "down"]
HF_NAMES = {"q_proj": "q", "k_proj": "k", "v_proj": "v", "o_proj": "o", "gate_proj": "gate",
            "up_proj": "up", "down_proj": "down"}


class LoRALinear(torch.nn.Module):
    """A frozen Linear plus a trainable low-rank update: base(x) + scale * (x A^T) B^T."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        dev = base.weight.device
        bound = 1 / math.sqrt(base.in_features)
        self.a = torch.nn.Parameter(torch.empty(r, base.in_features, device=dev).uniform_(-bound, bound))
        self.b = torch.nn.Parameter(torch.zeros(base.out_features, r, device=dev))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + ((x @ self.a.t()) @ self.b.t()) * self.scale


def parse_targets(raw):
    if raw == "all":
        return list(LORA_TARGETS)
    if raw == "attn":
        return ["q", "k", "v", "o"]
    out = []
    for part in raw.split(","):
        if part.strip() not in HF_NAMES:
            raise SystemExit(f"--lora-targets: unknown module {part!r}; expected all, attn or "
                             f"a comma list of {', '.join(HF_NAMES)}")
        out.append(HF_NAMES[part.strip()])
    return out


def attach_lora(m, r, targets, alpha=16.0):
    """Freeze every base parameter and wrap the target projections of every layer."""
    for p in m.parameters():
        p.requires_grad_(False)
    for layer in m.layers:
        for t in targets:
            setattr(layer, t, LoRALinear(getattr(layer, t), r, alpha))


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Layer(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        h, d = a.hidden, a.hidden // a.heads
        self.nh, self.kv, self.d = a.heads, a.kv_heads, d
        self.q = torch.nn.Linear(h, a.heads * d)
        self.k = torch.nn.Linear(h, a.kv_heads * d)
        self.v = torch.nn.Linear(h, a.kv_heads * d)
        self.o = torch.nn.Linear(a.heads * d, h, bias=False)
        self.gate = torch.nn.Linear(h, a.intermediate, bias=False)
        self.up = torch.nn.Linear(h, a.intermediate, bias=False)
        self.down = torch.nn.Linear(a.intermediate, h, bias=False)
        self.n1, self.n2 = RMSNorm(h, 1e-6), RMSNorm(h, 1e-6)

    def forward(self, x, cos, sin, cache=None):
        b, t, _ = x.shape
        y = self.n1(x)
        q = self.q(y).view(b, t, self.nh, self.d).transpose(1, 2)
        k = self.k(y).view(b, t, self.kv, self.d).transpose(1, 2)
        v = self.v(y).view(b, t, self.kv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if cache[0] is not None:
                k = torch.cat([cache[0], k], 2)
                v = torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        rep = self.nh // self.kv
        kk = k.repeat_interleave(rep, dim=1)
        vv = v.repeat_interleave(rep, dim=1)
        s = kk.shape[2]
        att = (q @ kk.transpose(-1, -2)) / math.sqrt(self.d)
        mask = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(diagonal=s - t)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        o = (att @ vv).transpose(1, 2).reshape(b, t, self.nh * self.d)
        x = x + self.o(o)
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Model(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        self.embed = torch.nn.Embedding(a.vocab, a.hidden)
        self.layers = torch.nn.ModuleList([Layer(a) for _ in range(a.layers)])
        self.norm = RMSNorm(a.hidden, 1e-6)
        d = a.hidden // a.heads
        self.register_buffer("inv", 1e6 ** (-torch.arange(0, d, 2).float() / d), persistent=False)
        for p in self.parameters():
            if p.dim() > 1:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, start=0):
        t = ids.shape[1]
        pos = torch.arange(start, start + t, device=self.inv.device).float()
        f = torch.outer(pos, self.inv)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos(), emb.sin()
        x = self.embed(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i])
        return self.norm(x) @ self.embed.weight.t()  # tied LM head


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def timed(fn, reps, dev):
    """Best of `reps` timings (interference only adds time), as model_bench.ts times its engine."""
    best = float("inf")
    for _ in range(reps):
        sync(dev)
        t0 = time.perf_counter()
        fn()
        sync(dev)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    p = argparse.ArgumentParser()
    for k, v in [("vocab", 512), ("hidden", 256), ("layers", 4), ("heads", 4), ("kv-heads", 2),
                 ("intermediate", 512), ("batch", 8), ("seq", 128), ("steps", 5), ("warmup", 2),
                 ("seed", 0), ("threads", os.cpu_count() or 1), ("prompt", 32), ("new", 64),
                 ("train", 1), ("quick-init", 0), ("lora-rank", 0)]:
        p.add_argument("--" + k, type=int, default=v)
    p.add_argument("--device", default="auto", help="auto (default: cuda when available), cpu or cuda[:N]")
    p.add_argument("--lora-targets", default="all", help="all, attn or a comma list of *_proj names")
    a = p.parse_args()
    if a.device == "auto":
        a.device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(a.device)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    if dev.type != "cpu" and hasattr(torch.device, "__enter__"):
        with dev:  # parameters are created and initialised on the device
            m = Model(a)
    else:
        m = Model(a).to(dev)
    params = sum(p.numel() for p in m.parameters())
    if a.lora_rank > 0:
        attach_lora(m, a.lora_rank, parse_targets(a.lora_targets))
    trainable = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-3, weight_decay=0.01)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq + 1)).to(dev)
    x, y = ids[:, :-1], ids[:, 1:]

    def train():
        opt.zero_grad(set_to_none=True)
        logits = m(x)
        loss = F.cross_entropy(logits.reshape(-1, a.vocab), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()

    train_s = None
    if a.train:
        for _ in range(a.warmup):
            train()
        train_s = timed(train, a.steps, dev)

    def prefill():
        with torch.no_grad():
            m(x)

    prefill()
    sync(dev)
    prefill_s = timed(prefill, a.steps, dev)

    def decode():
        with torch.no_grad():
            caches = [[None, None] for _ in range(a.layers)]
            prompt = ids[:, : a.prompt]
            nxt = m(prompt, caches, 0)[:, -1].argmax(-1, keepdim=True)
            sync(dev)
            t0 = time.perf_counter()
            for i in range(a.new):
                nxt = m(nxt, caches, a.prompt + i)[:, -1].argmax(-1, keepdim=True)
            sync(dev)
            return time.perf_counter() - t0

    decode()
    decode_s = min(decode() for _ in range(a.steps))
    n = a.batch * a.seq
    rec = {
        "params": params,
        "trainable_params": sum(p.numel() for p in trainable),
        "lora_rank": a.lora_rank,
        "device": f"cpu: {os.cpu_count()} cores",
        "peak_gpu_gib": None,
        "train_tokens_per_s": n / train_s if train_s else None,
        "prefill_tokens_per_s": n / prefill_s,
        "decode_tokens_per_s": a.batch * a.new / decode_s,
        "backend": f"torch-{torch.__version__}-threads{torch.get_num_threads()}",
    }
    if dev.type == "cuda":
        rec["backend"] = f"torch-{torch.__version__}-cuda-{torch.cuda.get_device_name(dev)}"
        rec["dtype"] = "float32"
        rec["matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
        rec["float32_matmul_precision"] = torch.get_float32_matmul_precision()
        rec["max_memory_allocated_gib"] = torch.cuda.max_memory_allocated(dev) / 2**30
        rec["peak_gpu_gib"] = rec["max_memory_allocated_gib"]
        rec["device"] = f"cuda: {torch.cuda.get_device_name(dev)}"
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
