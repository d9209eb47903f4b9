/** Artifact locations and paths as MLflow accepts them. */
export { checkArtifactLocation, isStoreRoot, proxiedRoot } from './artifact-location';
export { MAX_ARTIFACT_PATH_BYTES, invalidPath, resolveArtifactPath, resolveListPrefix } from './artifact-path';
