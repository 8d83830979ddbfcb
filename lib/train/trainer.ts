/**
 * The MS-GRPO training loop: per iteration, N groups × G episodes from shared initial states
 * (batched generation), one MS-GRPO update, rows appended to the run tables; every K iterations an
 * evaluation on the configured scenarios' fixed episodes and an atomic checkpoint. `resume`
 * continues from the last checkpoint exactly: seeds derive from (seed, iteration), so a resumed run
 * writes the same tables as an uninterrupted one.
 *
 * With `model.lora_rank` > 0 only the adapters train: the base is frozen, gets no gradient and no
 * AdamW moments. On `--backend webgpu` the buffers tfjs pools for one phase's tensor shapes are
 * released to the device between generation and update (lib/engine/memory.ts).
 *
 * Every iteration's rows are written at once as part files (`DIR/<table>.parts/`, the durable
 * record a resume reads); the consolidated `DIR/<table>.arrow` files are rewritten at every
 * checkpoint, at most every {@link CONSOLIDATE_EVERY_S} seconds otherwise, and at the end, so a
 * reader of a live run sees them at most that far behind. Rewriting them after every iteration
 * cost a run of 700 iterations about a minute (the steps table grows to ~200k rows).
 *
 * @module
 */
import { join } from "node:path";
import { getScenario } from "../env/scenarios.ts";
import type { TextEnv } from "../env/tsmg.ts";
import {
  closeRunTables,
  consolidateRunTables,
  openRunTables,
  ProgressBar,
  type RunTableWriters,
} from "../log/mod.ts";
import { AdamW } from "../model/optim.ts";
import { releaseBufferPool } from "../engine/memory.ts";
import { attachLora, loadLora } from "../model/lora.ts";
import { Qwen2Model } from "../model/qwen2.ts";
import { Tokenizer } from "../model/tokenizer.ts";
import { decisionMasker } from "../msgrpo/decision_tokens.ts";
import { LapPolicy } from "../policy/lap.ts";
import { collectGroups } from "../rollout/groups.ts";
import { evaluateScenarios } from "../rollout/evaluate_run.ts";
import {
  findTrainingCheckpoint,
  loadTrainingCheckpoint,
  saveTrainingCheckpoint,
} from "./checkpoint.ts";
import { episodeRows, updateRow } from "./rows.ts";
import type { TrainConfig } from "./schema.ts";
import { loraSeed, replaySeed, trainingStateSeed } from "../util/seeds.ts";
import { msgrpoUpdate } from "./update.ts";
import { prepareOptions, updateOptions } from "./update_options.ts";
import { prepareUpdate } from "../msgrpo/prepare.ts";
import { learningRateAt } from "./schedule.ts";
import { chooseInitialStates, updateReplayBuffer } from "./replay.ts";
import { Rng } from "../util/rng.ts";
import { loadReference, refreshReference } from "./reference.ts";
import { nextEntropyCoef } from "../msgrpo/entropy_control.ts";

/** Seconds between rewrites of a live run's consolidated tables (besides checkpoints and the end). */
export const CONSOLIDATE_EVERY_S = 30;

/** Options of {@link train} besides the config. */
export interface TrainOptions {
  /** The run directory (tables and checkpoint go here). */
  runDir: string;
  /** Continue from the run directory's checkpoint (error when there is none). */
  resume?: boolean;
  /** Show a progress bar on stderr (default true). */
  progress?: boolean;
  /** Stop after this many iterations of this call, without a final checkpoint (simulates a crash). */
  stopAfter?: number;
  /** Training environment factory overriding `env.scenario` (custom maps, tests). */
  makeEnv?: () => TextEnv;
}

/** What a finished {@link train} call reports. */
export interface TrainSummary {
  /** Iterations completed in total. */
  iterations: number;
  /** Mean success per scenario at each evaluation, in order. */
  evaluations: { iteration: number; scenario: string; success: number; optimal: number | null }[];
  /** Wall seconds of this call. */
  seconds: number;
}

/** Success before and after training on one evaluation scenario. */
export interface EvalOutcome {
  scenario: string;
  /** Success at iteration 0 (null when the run resumed past it). */
  base_success: number | null;
  /** Success at the last iteration. */
  final_success: number;
  /** Mean exact optimum of the scenario's episodes (Frozen Lake), else null. */
  optimal_success: number | null;
}

/**
 * Per scenario, the first and last evaluation of a {@link TrainSummary} (for summary lines).
 *
 * @param summary what {@link train} returned.
 * @returns one entry per scenario evaluated at the last iteration.
 */
export function evalOutcomes(summary: TrainSummary): EvalOutcome[] {
  const first = summary.evaluations.filter((e) => e.iteration === 0);
  return summary.evaluations.filter((e) => e.iteration === summary.iterations).map((f) => ({
    scenario: f.scenario,
    base_success: first.find((x) => x.scenario === f.scenario)?.success ?? null,
    final_success: f.success,
    optimal_success: f.optimal,
  }));
}

/**
 * Train a policy with MS-GRPO.
 *
 * @param cfg a resolved {@link TrainConfig} (`model.path` must name a checkpoint folder).
 * @param opts run directory, resume and progress display.
 * @returns iterations done, evaluation summaries and wall time.
 */
export async function train(cfg: TrainConfig, opts: TrainOptions): Promise<TrainSummary> {
  const started = performance.now();
  if (!cfg.model.path) throw new Error("train: model.path is empty; give a checkpoint folder");
  if (cfg.msgrpo.entropy_target !== null && !(cfg.msgrpo.entropy_coef > 0)) {
    throw new Error(
      "train: msgrpo.entropy_target needs msgrpo.entropy_coef > 0 (the coefficient it starts from)",
    );
  }
  const makeEnv = opts.makeEnv ??
    (() => getScenario(cfg.env.scenario).makeEnv({ renderStyle: cfg.env.render_style }));
  const evalScenarios = cfg.eval.scenarios.map(getScenario);
  const tokenizer = await Tokenizer.load(cfg.model.path);
  const checkpointDir = opts.resume ? await findTrainingCheckpoint(opts.runDir) : null;
  if (opts.resume && checkpointDir === null) {
    throw new Error(`train: --resume given but ${opts.runDir} holds no checkpoint`);
  }
  const lora = cfg.model.lora_rank > 0;
  const weightsDir = checkpointDir && !lora ? checkpointDir : cfg.model.path;
  const model = await Qwen2Model.load(weightsDir);
  if (lora) {
    attachLora(model, {
      r: cfg.model.lora_rank,
      alpha: cfg.model.lora_alpha,
      seed: loraSeed(cfg.seed),
    });
    if (checkpointDir) await loadLora(model, join(checkpointDir, "adapter"));
  }
  const optimizer = new AdamW(model.trainableVariables(), {
    lr: cfg.optim.lr,
    beta1: cfg.optim.beta1,
    beta2: cfg.optim.beta2,
    weightDecay: cfg.optim.weight_decay,
  });
  let start = 0;
  let entropyCoef = cfg.msgrpo.entropy_coef;
  let replay: number[] = [];
  if (checkpointDir) {
    const ck = await loadTrainingCheckpoint(checkpointDir);
    if (ck.state.seed !== cfg.seed) {
      throw new Error(
        `train: checkpoint in ${checkpointDir} has seed ${ck.state.seed}, config has ${cfg.seed}`,
      );
    }
    optimizer.setState(ck.optimizer);
    start = ck.state.iteration;
    entropyCoef = ck.state.entropyCoef ?? entropyCoef;
    replay = ck.state.replay ?? [];
  }
  const reference = await loadReference(cfg, weightsDir);
  const policy = new LapPolicy(model, tokenizer, {
    maxNewTokens: cfg.msgrpo.max_new_tokens,
    stop: cfg.msgrpo.stop,
  });
  // the entropy bonus on the action name's tokens only (msgrpo.entropy_tokens: action)
  const entropyMask = cfg.msgrpo.entropy_tokens === "action"
    ? decisionMasker((ids) => tokenizer.decode([...ids], { skipSpecial: true }))
    : undefined;
  const tables = openRunTables(opts.runDir, {
    ...(checkpointDir ? { truncateAfter: start } : {}),
    consolidateEveryS: CONSOLIDATE_EVERY_S,
  });
  const summary: TrainSummary = { iterations: start, evaluations: [], seconds: 0 };
  const bar = opts.progress === false
    ? null
    : new ProgressBar({ total: cfg.msgrpo.iterations, label: "msgrpo" });
  bar?.resumeFrom(start);
  let lastSuccess: number | null = null;
  const evaluate = async (iteration: number) => {
    const t0 = performance.now();
    const options = {
      iteration,
      temperature: cfg.eval.temperature,
      greedy: cfg.eval.greedy,
      seed: cfg.seed,
      maxNewTokens: cfg.msgrpo.max_new_tokens,
      renderStyle: cfg.env.render_style,
      limit: cfg.eval.episodes ?? undefined,
    };
    await evaluateScenarios(policy, evalScenarios, options, ({ scenario: sc, rows }) => {
      tables.eval.append(rows);
      const success = rows.filter((r) => r.success).length / rows.length;
      const opt = rows.every((r) => r.optimal_success !== null)
        ? rows.reduce((a, r) => a + r.optimal_success!, 0) / rows.length
        : null;
      summary.evaluations.push({ iteration, scenario: sc.name, success, optimal: opt });
      if (sc === evalScenarios[0]) lastSuccess = success;
    });
    return (performance.now() - t0) / 1000;
  };
  try {
    if (start === 0) await evaluate(0);
    const { actionNames } = makeEnv();
    const last = Math.min(cfg.msgrpo.iterations, start + (opts.stopAfter ?? Infinity));
    for (let it = start + 1; it <= last; it++) {
      const t0 = performance.now();
      optimizer.lr = learningRateAt(it, {
        lr: cfg.optim.lr,
        schedule: cfg.optim.schedule,
        warmup: cfg.optim.warmup,
        iterations: cfg.msgrpo.iterations,
        minRatio: cfg.optim.min_lr_ratio,
      });
      const initial = chooseInitialStates(replay, {
        groups: cfg.msgrpo.groups,
        replayGroups: cfg.msgrpo.replay_groups,
        freshSeed: (g) => trainingStateSeed(cfg.seed, it, g),
        rng: new Rng(replaySeed(cfg.seed, it)),
      });
      const { episodes, stats } = await collectGroups(makeEnv, policy, {
        iteration: it,
        initialStateSeeds: initial.seeds,
        groupSize: cfg.msgrpo.group_size,
        temperature: cfg.msgrpo.temperature,
        seed: cfg.seed,
        formatPenalty: cfg.env.format_penalty,
        strictAnswers: cfg.msgrpo.strict_answers,
        maxNewTokens: cfg.msgrpo.max_new_tokens,
      });
      if (cfg.msgrpo.replay_groups > 0) {
        replay = updateReplayBuffer(
          replay,
          initial.seeds.map((seed, g) => {
            const group = episodes.filter((e) => e.group === g);
            return { seed, success: group.filter((e) => e.success).length / group.length };
          }),
          cfg.msgrpo.replay_capacity,
          cfg.msgrpo.replay_threshold,
        );
      }
      // Phase change (generation → update → generation): on webgpu, give the buffers tfjs pooled
      // for one phase's shapes back to the device (a no-op on other backends).
      await releaseBufferPool();
      const t1 = performance.now();
      const prepared = prepareUpdate(episodes, prepareOptions(cfg, it, entropyCoef));
      const outcome = await msgrpoUpdate(
        { model, optimizer, reference },
        prepared,
        { ...updateOptions(cfg, entropyCoef), entropyMask },
      );
      await releaseBufferPool();
      const t2 = performance.now();
      const target = cfg.msgrpo.entropy_target;
      if (target !== null) {
        entropyCoef = nextEntropyCoef(entropyCoef, outcome.entropy, {
          target,
          rate: cfg.msgrpo.entropy_coef_rate,
        });
      }
      const evalSeconds = it % cfg.eval.every === 0 || it === cfg.msgrpo.iterations
        ? await evaluate(it)
        : 0;
      const rows = episodeRows(episodes, prepared, actionNames);
      _appendIteration(
        tables,
        rows,
        updateRow(it, episodes, prepared, outcome, {
          lr: optimizer.lr,
          generatedTokens: stats.completionTokens,
          rolloutSeconds: stats.policySeconds,
          rolloutWallSeconds: (t1 - t0) / 1000,
          updateSeconds: (t2 - t1) / 1000,
          evalSeconds,
          wallSeconds: (performance.now() - t0) / 1000,
        }),
      );
      if (it % cfg.checkpoint.every === 0 || it === cfg.msgrpo.iterations) {
        await saveTrainingCheckpoint(opts.runDir, model, optimizer, {
          iteration: it,
          seed: cfg.seed,
          lora,
          baseModel: cfg.model.path,
          entropyCoef,
          replay,
        }, cfg.model.path);
        consolidateRunTables(tables);
        if (reference && cfg.msgrpo.kl_reference === "checkpoint") {
          refreshReference(reference, model);
        }
      }
      summary.iterations = it;
      const meanReturn = prepared.returns.reduce((a, r) => a + r, 0) / episodes.length;
      bar?.update(it, { ret: meanReturn.toFixed(3), success: lastSuccess });
    }
  } finally {
    bar?.done();
    closeRunTables(tables);
    reference?.dispose();
    policy.dispose();
    optimizer.dispose();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function _appendIteration(
  tables: RunTableWriters,
  rows: ReturnType<typeof episodeRows>,
  update: ReturnType<typeof updateRow>,
): void {
  tables.steps.append(rows.steps);
  tables.episodes.append(rows.episodes);
  tables.updates.append([update]);
}
