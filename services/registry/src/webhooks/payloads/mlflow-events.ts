import { PROMPT_TAG, PROMPT_TEXT_TAG } from '../../shared/limits';
import { PythonFloat, PythonValue } from './python-json';
import { WebhookSourceEvent } from './registry-event';

/** The tag MLflow's prompt registry marks a prompt's type with (chat or text); internal, never in payloads. */
const PROMPT_TYPE_TAG = '_mlflow_prompt_type';

/** One of MLflow's own webhook events (`entity.action`) and its `data`, as MLflow 3.17's handlers build it. */
export interface MlflowDelivery {
  eventKey: string;
  modelName: string;
  data: PythonValue;
}

interface Tag {
  key: string;
  value: string;
}

/** Tags as MLflow's `{t.key: t.value for t in tags}`: the last value of a key, at its first place. */
function tagDict(tags: readonly Tag[], leaveOut: readonly string[] = []): Map<string, string> {
  const dict = new Map<string, string>();
  for (const { key, value } of tags) if (!leaveOut.includes(key)) dict.set(key, value);
  return dict;
}

/** MLflow's `_is_prompt_request`: the last value of the prompt tag, any case, is "true". */
export function tagsMarkPrompt(tags: readonly Tag[]): boolean {
  return (tagDict(tags).get(PROMPT_TAG) ?? 'false').toLowerCase() === 'true';
}

/**
 * MLflow's deliveries for one registry event. Registered models and versions are prompts by their own
 * creation tags (as MLflow reads the request); tags and aliases by their model (`isPrompt`). MLflow fires
 * nothing for renames, deletions, descriptions, stages or registration outcomes.
 */
export function mlflowDeliveries(event: WebhookSourceEvent, isPrompt: boolean): MlflowDelivery[] {
  const deliver = (eventKey: string, modelName: string, data: PythonValue): MlflowDelivery[] => [
    { eventKey, modelName, data },
  ];
  switch (event.type) {
    case 'RegisteredModelCreated': {
      const { name, tags } = event.data;
      // MLflow passes the request's proto field, which reads "" when the client sent no description.
      const description = event.data.description ?? '';
      if (tagsMarkPrompt(tags)) {
        const promptTags = tagDict(tags, [PROMPT_TAG, PROMPT_TYPE_TAG]);
        return deliver('prompt.created', name, { name, tags: promptTags, description });
      }
      return deliver('registered_model.created', name, { name, tags: tagDict(tags), description });
    }
    case 'ModelVersionCreated': {
      const { name, tags } = event.data;
      const version = String(event.data.version);
      const description = event.data.description || null;
      if (tagsMarkPrompt(tags)) {
        const template = tagDict(tags).get(PROMPT_TEXT_TAG) ?? null;
        const versionTags = tagDict(tags, [PROMPT_TEXT_TAG, PROMPT_TAG, PROMPT_TYPE_TAG]);
        return deliver('prompt_version.created', name, { name, version, template, tags: versionTags, description });
      }
      const { source } = event.data;
      // MLflow sends the run the request named, not one it inferred from a logged model.
      const runId = event.data.runIdInferred ? null : event.data.runId || null;
      return deliver('model_version.created', name, {
        name,
        version,
        source,
        run_id: runId,
        tags: tagDict(tags),
        description,
      });
    }
    case 'RegisteredModelTagSet': {
      const { name, key, value } = event.data;
      return isPrompt ? deliver('prompt_tag.set', name, { name, key, value }) : [];
    }
    case 'RegisteredModelTagDeleted': {
      const { name, key } = event.data;
      return isPrompt ? deliver('prompt_tag.deleted', name, { name, key }) : [];
    }
    case 'ModelVersionTagSet': {
      const { name, key, value } = event.data;
      const version = String(event.data.version);
      const entity = isPrompt ? 'prompt_version_tag' : 'model_version_tag';
      return deliver(`${entity}.set`, name, { name, version, key, value });
    }
    case 'ModelVersionTagDeleted': {
      const { name, key } = event.data;
      const version = String(event.data.version);
      const entity = isPrompt ? 'prompt_version_tag' : 'model_version_tag';
      return deliver(`${entity}.deleted`, name, { name, version, key });
    }
    case 'RegisteredModelAliasSet': {
      const { name, alias } = event.data;
      const version = String(event.data.version);
      const entity = isPrompt ? 'prompt_alias' : 'model_version_alias';
      return deliver(`${entity}.created`, name, { name, alias, version });
    }
    case 'RegisteredModelAliasDeleted': {
      const { name, alias } = event.data;
      const entity = isPrompt ? 'prompt_alias' : 'model_version_alias';
      return deliver(`${entity}.deleted`, name, { name, alias });
    }
    default:
      return [];
  }
}

/** The `data` of MLflow's test deliveries: each payload class's `example()` in mlflow/webhooks/types.py. */
export const MLFLOW_EXAMPLE_DATA: Readonly<Record<string, PythonValue>> = {
  'registered_model.created': {
    name: 'example_model',
    tags: { example_key: 'example_value' },
    description: 'An example registered model',
  },
  'model_version.created': {
    name: 'example_model',
    version: '1',
    source: 'models:/123',
    run_id: 'abcd1234abcd5678',
    tags: { example_key: 'example_value' },
    description: 'An example model version',
  },
  'model_version_tag.set': { name: 'example_model', version: '1', key: 'example_key', value: 'example_value' },
  'model_version_tag.deleted': { name: 'example_model', version: '1', key: 'example_key' },
  'model_version_alias.created': { name: 'example_model', alias: 'example_alias', version: '1' },
  'model_version_alias.deleted': { name: 'example_model', alias: 'example_alias' },
  'prompt.created': {
    name: 'example_prompt',
    tags: { example_key: 'example_value' },
    description: 'An example prompt',
  },
  'prompt_version.created': {
    name: 'example_prompt',
    version: '1',
    template: 'Hello {{name}}!',
    tags: { example_key: 'example_value' },
    description: 'An example prompt version',
  },
  'prompt_tag.set': { name: 'example_prompt', key: 'example_key', value: 'example_value' },
  'prompt_tag.deleted': { name: 'example_prompt', key: 'example_key' },
  'prompt_version_tag.set': { name: 'example_prompt', version: '1', key: 'example_key', value: 'example_value' },
  'prompt_version_tag.deleted': { name: 'example_prompt', version: '1', key: 'example_key' },
  'prompt_alias.created': { name: 'example_prompt', alias: 'example_alias', version: '1' },
  'prompt_alias.deleted': { name: 'example_prompt', alias: 'example_alias' },
  'budget_policy.exceeded': {
    budget_policy_id: 'bp-abc123',
    budget_unit: 'USD',
    budget_amount: new PythonFloat(100),
    current_spend: new PythonFloat(105.5),
    duration_unit: 'MONTHS',
    duration_value: 1,
    target_scope: 'ENDPOINT',
    workspace: 'default',
    target_value: 'ep-abc123',
    window_start: 1704067200000,
  },
};
