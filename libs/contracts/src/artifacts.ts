import { eventContract, TopicContract } from './contract';
import {
  arrayOf,
  field,
  integer,
  json,
  nonEmptyText,
  nonNegativeInteger,
  nullable,
  object,
  optionalField,
  text,
} from './schema';
import { eventTopic } from './topics';

export const ARTIFACTS_PRODUCER = 'artifacts';

const root = field(
  nonEmptyText,
  'Artifact root of the run or logged model the file belongs to, as a location in the store',
);
const runId = field(nullable(text), 'Run that owns the root, when a run does');
const modelId = field(nullable(text), 'Logged model that owns the root, when one does');
const time = field(integer, 'When it happened, milliseconds since the Unix epoch');

const exampleRoot = '1/0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10/artifacts';
const exampleTime = 1764864000000;

export const ModelSummary = object('ModelSummary', {
  flavors: field(arrayOf(text), 'Flavors the model can be loaded as, e.g. "python_function", "sklearn"'),
  signature: field(
    nullable(
      object('ModelSignature', {
        inputs: optionalField(json, 'Input schema, as the MLmodel file holds it'),
        outputs: optionalField(json, 'Output schema'),
        params: optionalField(json, 'Params schema'),
      }),
    ),
    'The model signature, when the file has one',
  ),
  inputExample: field(nullable(text), 'Path of the input example, relative to the model, when there is one'),
  modelId: field(nullable(text), 'model_id recorded in the file'),
  runId: field(nullable(text), 'run_id recorded in the file'),
  mlflowVersion: field(nullable(text), 'MLflow version that wrote the file'),
  createdAt: field(nullable(text), 'utc_time_created recorded in the file'),
});

export const ArtifactStoredV1 = eventContract({
  name: 'ArtifactStored',
  schemaVersion: 1,
  meaning: 'An artifact file was stored (the bytes are in storage before this is published; it carries no bytes).',
  fields: {
    root,
    runId,
    modelId,
    path: field(nonEmptyText, 'Path of the file under the root'),
    size: field(nonNegativeInteger, 'Size in bytes'),
    sha256: field(text, 'SHA-256 of the content, hex'),
    contentType: field(nullable(text), 'Media type it was uploaded with, when known'),
    time,
  },
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
  fields: {
    root,
    runId,
    modelId,
    modelPath: field(text, 'Folder of the model under the root (where its MLmodel file is)'),
    summary: field(ModelSummary, 'What the MLmodel file says'),
    time,
  },
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
  fields: { root, path: field(nonEmptyText, 'Path of the file under the root'), time },
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

export const ARTIFACTS_TOPICS = [ARTIFACTS_ARTIFACT_TOPIC];
