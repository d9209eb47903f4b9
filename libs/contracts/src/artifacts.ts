import { z } from 'zod';
import { eventContract, TopicContract } from './contract';
import { eventTopic } from './topics';

export const ARTIFACTS_PRODUCER = 'artifacts';

const root = z
  .string()
  .min(1)
  .describe('Artifact root of the run or logged model the file belongs to, as a location in the store');
const runId = z.string().nullable().describe('Run that owns the root, when a run does');
const modelId = z.string().nullable().describe('Logged model that owns the root, when one does');
const time = z.int().describe('When it happened, milliseconds since the Unix epoch');

const exampleRoot = '1/0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10/artifacts';
const exampleTime = 1764864000000;

/** The signature as the MLmodel file holds it: JSON the producer passes on without interpreting it. */
export const ModelSignature = z
  .object({
    inputs: z.unknown().optional().describe('Input schema, as the MLmodel file holds it'),
    outputs: z.unknown().optional().describe('Output schema'),
    params: z.unknown().optional().describe('Params schema'),
  })
  .meta({ id: 'ModelSignature' });

export const ModelSummary = z
  .object({
    flavors: z.array(z.string()).describe('Flavors the model can be loaded as, e.g. "python_function", "sklearn"'),
    signature: ModelSignature.nullable().describe('The model signature, when the file has one'),
    inputExample: z.string().nullable().describe('Path of the input example, relative to the model, when there is one'),
    modelId: z.string().nullable().describe('model_id recorded in the file'),
    runId: z.string().nullable().describe('run_id recorded in the file'),
    mlflowVersion: z.string().nullable().describe('MLflow version that wrote the file'),
    createdAt: z.string().nullable().describe('utc_time_created recorded in the file'),
  })
  .meta({ id: 'ModelSummary' });

export const ArtifactStoredV1 = eventContract({
  name: 'ArtifactStored',
  schemaVersion: 1,
  meaning: 'An artifact file was stored (the bytes are in storage before this is published; it carries no bytes).',
  data: z.object({
    root,
    runId,
    modelId,
    path: z.string().min(1).describe('Path of the file under the root'),
    size: z.int().nonnegative().describe('Size in bytes'),
    sha256: z.string().describe('SHA-256 of the content, hex'),
    contentType: z.string().nullable().describe('Media type it was uploaded with, when known'),
    time,
  }),
  example: {
    root: exampleRoot,
    runId: '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10',
    modelId: null,
    path: 'model/MLmodel',
    size: 412,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    contentType: 'text/plain',
    time: exampleTime,
  },
});

export const ModelDescribedV1 = eventContract({
  name: 'ModelDescribed',
  schemaVersion: 1,
  meaning: 'A stored MLmodel file was read and summarised: which flavors, which signature, which input example.',
  data: z.object({
    root,
    runId,
    modelId,
    modelPath: z.string().describe('Folder of the model under the root (where its MLmodel file is)'),
    summary: ModelSummary.describe('What the MLmodel file says'),
    time,
  }),
  example: {
    root: exampleRoot,
    runId: '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10',
    modelId: null,
    modelPath: 'model',
    summary: {
      flavors: ['python_function', 'sklearn'],
      signature: { inputs: [{ type: 'double', name: 'x' }] },
      inputExample: null,
      modelId: null,
      runId: '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10',
      mlflowVersion: '3.1.0',
      createdAt: '2026-12-04 18:00:00.000000',
    },
    time: exampleTime,
  },
});

export const ArtifactDeletedV1 = eventContract({
  name: 'ArtifactDeleted',
  schemaVersion: 1,
  meaning: 'An artifact file was deleted from storage.',
  data: z.object({ root, path: z.string().min(1).describe('Path of the file under the root'), time }),
  example: { root: exampleRoot, path: 'model/MLmodel', time: exampleTime },
});

export const ARTIFACTS_ARTIFACT_TOPIC: TopicContract = {
  name: eventTopic(ARTIFACTS_PRODUCER, 'artifact'),
  producer: ARTIFACTS_PRODUCER,
  streamType: 'artifact',
  meaning: 'The files stored under each artifact root: stored, described (MLmodel files), deleted.',
  key: '`artifacts-<root>`, the stream id',
  events: [ArtifactStoredV1, ModelDescribedV1, ArtifactDeletedV1],
};

// Registrations: the registry's new versions, verified and copied into registry storage

const registeredModelId = z.string().min(1).describe("The registry's id of the registered model");
const versionName = z.string().min(1).describe('Name of the registered model when the version was created');
const versionNumber = z.int().min(1).describe('Version number');
const source = z.string().describe('The source the version was created from, as the registry received it');
const exampleRegistration = {
  registeredModelId: '3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e',
  name: 'fraud',
  version: 3,
  source: 'models:/m-4a1b2c3d4e5f60718293a4b5c6d7e8f9',
};

export const ModelVersionVerifiedV1 = eventContract({
  name: 'ModelVersionVerified',
  schemaVersion: 1,
  meaning:
    "A model version's source was checked and its files copied into immutable registry storage, each with its sha256 and size.",
  data: z.object({
    registeredModelId,
    name: versionName,
    version: versionNumber,
    source,
    digest: z
      .string()
      .describe('`sha256:` and the SHA-256 of the lines `<path> <sha256>`, one per file, sorted by path'),
    storageLocation: z.string().describe('Where the copy is served from, read-only: an mlflow-artifacts:/ URI'),
    fileCount: z.int().nonnegative().describe('How many files were copied'),
    totalSize: z.int().nonnegative().describe('Their size in bytes, together'),
    summary: ModelSummary.describe("What the model's MLmodel file says"),
    time,
  }),
  example: {
    ...exampleRegistration,
    digest: 'sha256:9f2c0b7d5c1e4a8b6f3d2e1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a',
    storageLocation: 'mlflow-artifacts:/registry/3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e/3',
    fileCount: 5,
    totalSize: 20480,
    summary: {
      flavors: ['python_function', 'sklearn'],
      signature: null,
      inputExample: null,
      modelId: 'm-4a1b2c3d4e5f60718293a4b5c6d7e8f9',
      runId: '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10',
      mlflowVersion: '3.1.0',
      createdAt: '2026-12-04 18:00:00.000000',
    },
    time: exampleTime,
  },
});

export const ModelVersionVerificationFailedV1 = eventContract({
  name: 'ModelVersionVerificationFailed',
  schemaVersion: 1,
  meaning:
    "A model version's source was refused (not a run, logged model or location inside the artifact roots) or held no model: nothing was copied.",
  data: z.object({
    registeredModelId,
    name: versionName,
    version: versionNumber,
    source,
    message: z.string().min(1).describe('Why, for the user'),
    time,
  }),
  example: {
    ...exampleRegistration,
    message: "No MLmodel file at 'models:/m-4a1b2c3d4e5f60718293a4b5c6d7e8f9'",
    time: exampleTime,
  },
});

export const ARTIFACTS_REGISTRATION_TOPIC: TopicContract = {
  name: eventTopic(ARTIFACTS_PRODUCER, 'registration'),
  producer: ARTIFACTS_PRODUCER,
  streamType: 'registration',
  meaning: "The outcome of each model version's verification: its files copied into registry storage, or refused.",
  key: '`registration-<registeredModelId>-<version>`, the stream id',
  events: [ModelVersionVerifiedV1, ModelVersionVerificationFailedV1],
};

export const ARTIFACTS_TOPICS = [ARTIFACTS_ARTIFACT_TOPIC, ARTIFACTS_REGISTRATION_TOPIC];
