import { MlflowError } from '@logbook/platform';
import { Stage } from '../shared/limits';

/**
 * The stages and aliases of one model that approval policies govern, each with the name of the policy
 * that governs it: what the service looks up before a command, so the decider stays pure.
 */
export interface GovernedTargets {
  stages: Partial<Record<Stage, string>>;
  aliases: Record<string, string>;
}

export const UNGOVERNED: GovernedTargets = { stages: {}, aliases: {} };

const REQUEST_FLOW = 'request it with POST /api/2.0/mlflow/transition-requests/create';

/** Entering a governed stage takes an approved transition request; leaving one does not. */
export function governedStageRefused(name: string, stage: Stage, governed: GovernedTargets): void {
  const policy = governed.stages[stage];
  if (policy === undefined) return;
  throw new MlflowError(
    'PERMISSION_DENIED',
    `Stage '${stage}' of registered model '${name}' is governed by policy '${policy}': ${REQUEST_FLOW}.`,
  );
}

/** A protected alias moves, or goes, only through an approved transition request. */
export function protectedAliasRefused(name: string, alias: string, governed: GovernedTargets): void {
  const policy = governed.aliases[alias];
  if (policy === undefined) return;
  throw new MlflowError(
    'PERMISSION_DENIED',
    `Alias '${alias}' of registered model '${name}' is protected by policy '${policy}': ${REQUEST_FLOW}.`,
  );
}

/** A rename must not take a model out from under a policy (policies may match names by pattern). */
export function renameEscapingGovernance(
  name: string,
  newName: string,
  governed: GovernedTargets,
  governedAfter: GovernedTargets,
): void {
  const escaped = [
    ...Object.entries(governed.stages).filter(([stage]) => governedAfter.stages[stage as Stage] === undefined),
    ...Object.entries(governed.aliases).filter(([alias]) => governedAfter.aliases[alias] === undefined),
  ];
  if (escaped.length === 0) return;
  const [target, policy] = escaped[0];
  throw new MlflowError(
    'PERMISSION_DENIED',
    `Renaming registered model '${name}' to '${newName}' would take '${target}' out of policy '${policy}'; ` +
      'change the policy first.',
  );
}

/** Where the registry's commands learn which targets of a model are governed: the approval policies. */
export abstract class GovernedTargetsLookup {
  abstract forModel(name: string): Promise<GovernedTargets>;
}
