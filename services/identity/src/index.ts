/** The identity service as other code may use it: its module, how to start its runtime, its OpenAPI fragment. */
export { AuthenticatedUser, IdentityAuthenticator } from './authentication/authenticator';
export { IdentityConfig, loadIdentityConfig } from './config';
export { IdentityModule } from './identity.module';
export { isTokenSecret } from './tokens/token-secret';
export { TokensService, VerifiedToken } from './tokens/tokens.service';
export { identityOpenApi } from './identity.openapi';
export {
  identityService,
  IdentityRuntime,
  requireSomeoneToSignIn,
  startIdentityRuntime,
  verifyIdentityAudit,
} from './identity.runtime';
