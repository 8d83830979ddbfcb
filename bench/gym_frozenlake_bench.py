"""Reference throughput of Gymnasium's FrozenLake-v1 (4x4, slippery) for bench/env_bench.ts.

Random play with pre-drawn actions, gym.make's default wrappers, reset on termination or
truncation. render=true adds the ANSI text render each step (Gymnasium's own text rendering).
Prints one JSON line per measurement. Exits with status 2 when gymnasium is not importable.
"""

import argparse
import json
import sys
import time

try:
    import gymnasium as gym
    import numpy as np
except ImportError as e:  # the caller then prints its own figures only
    print(f"gymnasium not importable: {e}", file=sys.stderr)
    sys.exit(2)


def measure(render: bool, seconds: float) -> float:
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True,
                   render_mode="ansi" if render else None)
    actions = np.random.default_rng(1).integers(0, 4, 1 << 16).tolist()
    env.reset(seed=0)
    episode, steps = 0, 0

    def run(until: float) -> int:
        nonlocal episode
        n = 0
        while True:
            for _ in range(1024):
                if render:
                    env.render()
                _, _, term, trunc, _ = env.step(actions[n & 0xFFFF])
                n += 1
                if term or trunc:
                    episode += 1
                    env.reset(seed=episode)
            if time.perf_counter() >= until:
                return n

    run(time.perf_counter() + min(0.3, seconds / 3))
    t0 = time.perf_counter()
    steps = run(t0 + seconds)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    for render in (False, True):
        sps = measure(render, args.seconds)
        print(json.dumps({"env": "gymnasium/FrozenLake-v1-4x4-slippery", "render": render,
                          "steps_per_s": round(sps), "version": gym.__version__}))


if __name__ == "__main__":
    main()
