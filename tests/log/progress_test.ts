import assert from "node:assert/strict";
import { formatDuration, ProgressBar } from "../../lib/log/mod.ts";

function sink(tty: boolean) {
  const out: string[] = [];
  return { out, sink: { write: (t: string) => void out.push(t), isTerminal: () => tty } };
}

Deno.test("formatDuration() prints h/m/s compactly", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59.4), "59s");
  assert.equal(formatDuration(187), "3m07s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("ProgressBar.render() shows count, bar, percent, elapsed, ETA and figures", () => {
  let clock = 0;
  const { sink: s } = sink(false);
  const bar = new ProgressBar({ total: 8, label: "train", width: 8, sink: s, now: () => clock });
  assert.equal(bar.render(), "train 0/8 [        ]   0% 0s<?");
  clock = 20_000;
  bar.update(2, { success: 0.421875, loss: 1.23456e-5, phase: "rollout" });
  assert.equal(
    bar.render(),
    "train 2/8 [=>      ]  25% 20s<1m00s  success=0.4219 loss=1.23e-5 phase=rollout",
  );
  clock = 80_000;
  bar.update(8, { success: 1 });
  assert.equal(
    bar.render(),
    "train 8/8 [========] 100% 1m20s<0s  success=1 loss=1.23e-5 phase=rollout",
  );
});

Deno.test("ProgressBar prints a line per interval when stderr is not a terminal", () => {
  let clock = 0;
  const { out, sink: s } = sink(false);
  const bar = new ProgressBar({ total: 10, intervalS: 5, width: 4, sink: s, now: () => clock });
  for (let i = 1; i <= 9; i++) {
    clock = i * 1000;
    bar.update(i);
  }
  // printed at t=1 s (first) and t=6 s (5 s later)
  assert.deepEqual(out.map((l) => l.trimStart().split(" ")[0]), ["1/10", "6/10"]);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  bar.done(); // 9 was not printed yet
  assert.equal(out.length, 3);
  assert.ok(out[2].startsWith(" 9/10"));
  bar.done();
  assert.equal(out.length, 3);
  // reaching the total always prints, and done() then adds nothing
  const b = sink(false);
  const bar2 = new ProgressBar({ total: 2, intervalS: 60, sink: b.sink, now: () => 0 });
  bar2.update(1);
  bar2.update(2);
  bar2.done();
  assert.deepEqual(b.out.map((l) => l.trimStart().split(" ")[0]), ["1/2", "2/2"]);
});

Deno.test("ProgressBar redraws one line with \\r on a terminal", () => {
  let clock = 0;
  const { out, sink: s } = sink(true);
  const bar = new ProgressBar({ total: 3, width: 3, sink: s, now: () => clock });
  clock = 1000;
  bar.update(1, { success: 0.5, note: "a long figure" });
  bar.update(2, { note: "" });
  bar.done();
  assert.equal(out.length, 3);
  assert.ok(out[0].startsWith("\r1/3 [>  ]  33% 1s<2s  success=0.5 note=a long figure"));
  // the shorter second line is padded to wipe the first
  assert.equal(out[1].length, out[0].length);
  assert.ok(out[1].startsWith("\r2/3 [=> ]  66% 1s<1s  success=0.5 note="));
  assert.equal(out[2], "\n");
});

Deno.test("ProgressBar.resumeFrom() excludes earlier iterations from the rate", () => {
  let clock = 0;
  const { sink: s } = sink(false);
  const bar = new ProgressBar({ total: 100, width: 2, sink: s, now: () => clock });
  bar.resumeFrom(50);
  clock = 10_000;
  bar.update(60);
  assert.equal(bar.render(), " 60/100 [> ]  60% 10s<40s");
});
