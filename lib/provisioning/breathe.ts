/**
 * Giving the event loop back during work whose size an outsider controls, so that other requests
 * (and /api/health) are served in between. Server only (timers); ./mapping.ts stays pure.
 *
 * With embedded PGlite a query resolves without I/O, so without this a burst of requests runs
 * back to back in one turn of the loop (20 previews at the budget: one stall of 0.4–0.9 s).
 */
import { evaluate, evaluationCost, MAPPING_BUDGET, type Attributes, type Evaluation, type RoleMapping } from './mapping';

/** Lets timers and pending I/O run, then continues. */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** For long loops: a function to await between items; it yields once `ms` of work has passed. */
export function breather(ms = 20): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < ms) return;
    await breathe();
    since = performance.now();
  };
}

let queue: Promise<void> = Promise.resolve();

/**
 * Resolves on a turn of the event loop of its own, after every earlier caller's (first come,
 * first served): a timer set only once the previous turn has begun fires on a later iteration of
 * the loop, after pending I/O.
 */
export function nextTurn(): Promise<void> {
  const mine = queue.then(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  queue = mine;
  return mine;
}

/** Evaluations cheaper than this (about 5 ms at worst) run at once. */
const INLINE_COST = MAPPING_BUDGET / 20;

/**
 * {@link evaluate}, with heavy evaluations (up to ~0.1 s each) one per turn of the event loop, so
 * that concurrent ones never add up to one long stall. Over budget it throws at once.
 */
export async function evaluateInTurn(mapping: RoleMapping, attributes: Attributes): Promise<Evaluation> {
  const { cost } = evaluationCost(mapping, attributes);
  if (cost > INLINE_COST && cost <= MAPPING_BUDGET) await nextTurn();
  return evaluate(mapping, attributes);
}
