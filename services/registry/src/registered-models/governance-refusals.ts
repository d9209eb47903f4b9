import { MlflowError } from '@logbook/platform';
import { GovernedTargetsOfModel } from '../governance/governed-targets';
import { GovernedStage } from '../governance/policy-definition';
import { Stage } from '../shared/limits';

const REQUEST_FLOW = 'request it with POST /api/2.0/mlflow/transition-requests/create';

/** Entering a governed stage takes an approved transition request; leaving one does not. */
export function governedStageRefused(name: string, stage: Stage, governed: GovernedTargetsOfModel): void {
  const policy = stage === 'None' ? undefined : governed.stages[stage]?.name;
  if (policy === undefined) return;
  throw new MlflowError(
    'PERMISSION_DENIED',
    `Stage '${stage}' of registered model '${name}' is governed by policy '${policy}': ${REQUEST_FLOW}.`,
  );
}

/** A protected alias moves, or goes, only through an approved transition request. */
export function protectedAliasRefused(name: string, alias: string, governed: GovernedTargetsOfModel): void {
  const policy = governed.aliases[alias]?.name;
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
  governed: GovernedTargetsOfModel,
  governedAfter: GovernedTargetsOfModel,
): void {
  const escaped = [
    ...Object.entries(governed.stages).filter(([stage]) => governedAfter.stages[stage as GovernedStage] === undefined),
    ...Object.entries(governed.aliases).filter(([alias]) => governedAfter.aliases[alias] === undefined),
  ];
  if (escaped.length === 0) return;
  const [target, { name: policy }] = escaped[0];
  throw new MlflowError(
    'PERMISSION_DENIED',
    `Renaming registered model '${name}' to '${newName}' would take '${target}' out of policy '${policy}'; ` +
      'change the policy first.',
  );
}
