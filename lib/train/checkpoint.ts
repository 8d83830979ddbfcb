/**
 * Training checkpoints that a run resumes from exactly: the policy as a Hugging Face folder (so
 * any tool can load it), the optimizer moments, LoRA adapters when used, and the iteration.
 * Random streams need no saving: every one derives from (seed, iteration, …).
 *
 * Atomicity: a checkpoint is written into `checkpoint.tmp/`, then swapped in by renames
 * (`checkpoint/` → `checkpoint.old/`, `checkpoint.tmp/` → `checkpoint/`, remove `.old`). A crash at
 * any point leaves either the previous or the new checkpoint whole; {@link loadTrainingCheckpoint}
 * finds whichever exists.
 *
 * @module
 */
import { join } from "node:path";
import { saveCheckpoint } from "../model/checkpoint.ts";
import { readSafetensorsHeader, readTensor, writeSafetensors } from "../model/safetensors.ts";
import type { AdamW, AdamWState } from "../model/optim.ts";
import type { Qwen2Model } from "../model/qwen2.ts";
import { saveLora } from "../model/lora.ts";
import { writeJsonAtomic } from "../log/atomic.ts";
import { pathExists } from "../util/fs.ts";

/** Contents of `trainer_state.json`. */
export interface TrainerState {
  /** Iterations completed when the checkpoint was taken. */
  iteration: number;
  /** The run seed (a resumed run must use the same). */
  seed: number;
  /** Optimizer updates applied. */
  optimizerStep: number;
  /** Whether the weights are LoRA adapters over `baseModel`. */
  lora: boolean;
  /** Base checkpoint folder of the run. */
  baseModel: string;
  /** The adaptive entropy coefficient for the next update (`msgrpo.entropy_target`). */
  entropyCoef?: number;
  /** Initial-state seeds in the replay buffer (`msgrpo.replay_groups`), oldest first. */
  replay?: number[];
}

/** Folder names inside a run directory. */
export const CHECKPOINT_DIR = "checkpoint";
const _TMP = "checkpoint.tmp";
const _OLD = "checkpoint.old";

/**
 * Save model, optimizer and trainer state into `runDir/checkpoint/` atomically.
 *
 * @param runDir the run directory.
 * @param model the policy.
 * @param optimizer its optimizer.
 * @param state iteration, seed and provenance.
 * @param tokenizerDir folder to copy the tokenizer files from (the base checkpoint).
 */
export async function saveTrainingCheckpoint(
  runDir: string,
  model: Qwen2Model,
  optimizer: AdamW,
  state: Omit<TrainerState, "optimizerStep">,
  tokenizerDir: string,
): Promise<void> {
  const tmp = join(runDir, _TMP);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  if (state.lora) {
    await saveLora(model, join(tmp, "adapter"), { baseModel: state.baseModel });
  } else {
    await saveCheckpoint(tmp, model.config, await model.toWeights(), {
      tokenizerFrom: tokenizerDir,
    });
  }
  const opt = await optimizer.getState();
  const moments = new Map<string, { shape: number[]; data: Float32Array }>();
  opt.m.forEach((m, i) => moments.set(`m.${i}`, { shape: [m.length], data: m }));
  opt.v.forEach((v, i) => moments.set(`v.${i}`, { shape: [v.length], data: v }));
  await writeSafetensors(join(tmp, "optimizer.safetensors"), moments);
  const full: TrainerState = { ...state, optimizerStep: opt.step };
  await writeJsonAtomic(join(tmp, "trainer_state.json"), full);
  const dst = join(runDir, CHECKPOINT_DIR), old = join(runDir, _OLD);
  await Deno.remove(old, { recursive: true }).catch(() => {});
  if (pathExists(dst)) await Deno.rename(dst, old);
  await Deno.rename(tmp, dst);
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

/**
 * Find the run's last complete checkpoint folder (after a crash mid-swap, the `.old` one).
 *
 * @param runDir the run directory.
 * @returns the folder, or null when the run has none.
 */
export function findTrainingCheckpoint(runDir: string): Promise<string | null> {
  const found = [CHECKPOINT_DIR, _OLD].map((name) => join(runDir, name))
    .find((p) => pathExists(join(p, "trainer_state.json")));
  return Promise.resolve(found ?? null);
}

/**
 * Read a checkpoint's trainer state and optimizer moments.
 *
 * @param dir a folder from {@link findTrainingCheckpoint}.
 * @returns the trainer state and an {@link AdamWState} for `AdamW.setState`.
 */
export async function loadTrainingCheckpoint(
  dir: string,
): Promise<{ state: TrainerState; optimizer: AdamWState }> {
  const file = join(dir, "trainer_state.json");
  let state: TrainerState;
  try {
    state = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new Error(`${file}: cannot read trainer state: ${(e as Error).message}`);
  }
  for (const k of ["iteration", "seed", "optimizerStep"] as const) {
    if (!Number.isInteger(state[k])) {
      throw new Error(`${file}: field ${k} must be an integer, got ${state[k]}`);
    }
  }
  const { entries } = await readSafetensorsHeader(join(dir, "optimizer.safetensors"));
  const n = [...entries.keys()].filter((k) => k.startsWith("m.")).length;
  const m: Float32Array[] = [], v: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const em = entries.get(`m.${i}`), ev = entries.get(`v.${i}`);
    if (!em || !ev) throw new Error(`${dir}/optimizer.safetensors: moment ${i} missing`);
    m.push(await readTensor(em));
    v.push(await readTensor(ev));
  }
  return { state, optimizer: { step: state.optimizerStep, m, v } };
}
