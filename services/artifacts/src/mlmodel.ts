import { parse } from 'yaml';

/** What the registry later needs from a logged model's MLmodel file, without its bytes. */
export interface ModelSummary {
  flavors: string[];
  signature: { inputs?: unknown; outputs?: unknown; params?: unknown } | null;
  inputExample: string | null;
  modelId: string | null;
  runId: string | null;
  mlflowVersion: string | null;
  createdAt: string | null;
}

/** MLmodel files are small YAML documents; anything larger is not one. */
export const MLMODEL_MAX_BYTES = 1024 * 1024;

// Signature fields are JSON documents stored as strings in the YAML.
function jsonField(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** Parses an MLmodel document; undefined when it is not one (not YAML, or no flavors). */
export function summarizeMlModel(source: string): ModelSummary | undefined {
  let document: unknown;
  try {
    document = parse(source, { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (!document || typeof document !== 'object') return undefined;
  const model = document as Record<string, unknown>;
  const flavors = model.flavors;
  if (!flavors || typeof flavors !== 'object' || Array.isArray(flavors)) return undefined;
  const signature = model.signature as Record<string, unknown> | undefined;
  const example = model.saved_input_example_info as Record<string, unknown> | undefined;
  return {
    flavors: Object.keys(flavors).sort(),
    signature:
      signature && typeof signature === 'object'
        ? {
            inputs: jsonField(signature.inputs),
            outputs: jsonField(signature.outputs),
            ...(signature.params !== undefined ? { params: jsonField(signature.params) } : {}),
          }
        : null,
    inputExample: text(example?.artifact_path),
    modelId: text(model.model_id),
    runId: text(model.run_id),
    mlflowVersion: text(model.mlflow_version),
    createdAt: text(model.utc_time_created),
  };
}
