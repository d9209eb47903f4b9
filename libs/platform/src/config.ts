import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, Max, Min, validateSync, ValidationError } from 'class-validator';

const toInteger = Transform(({ value }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
);

/** A whole-number setting within [minimum, maximum], given as decimal digits in the environment. */
export const IntegerSetting = (minimum: number, maximum: number) =>
  applyDecorators(toInteger, IsInt(), Min(minimum), Max(maximum));

export class ConfigError extends Error {
  constructor(service: string, problems: string[]) {
    super(`Invalid configuration for ${service}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Turns the environment into a typed, validated config object, or throws one error naming every
 * variable that is wrong, so a service fails at start rather than on the first request.
 */
export function loadConfig<T extends object>(
  service: string,
  schema: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const config = plainToInstance(schema, { ...env }, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false, stopAtFirstError: true });
  if (errors.length > 0) throw new ConfigError(service, errors.flatMap(describe));
  return config;
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((text) => `${error.property}: ${text}`);
  return [...own, ...(error.children ?? []).flatMap(describe)];
}
