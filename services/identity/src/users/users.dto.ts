import { applyDecorators } from '@nestjs/common';
import { IsString, registerDecorator, ValidateIf } from 'class-validator';
import { Documented, StringField } from '@logbook/platform';

/**
 * MLflow's auth routes read their parameters with _get_request_param: only an absent key is missing
 * ("Missing value for required parameter ..."); null and "" are values the handler judges. Named
 * isPresent, the name by which the request parser and the OpenAPI document know a required field.
 */
function Present(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPresent',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: { validate: (value: unknown) => value !== undefined },
    });
}

/** Present, and a string or null. */
const PresentText = () =>
  applyDecorators(
    Present(),
    ValidateIf((_, value) => value !== null),
    IsString(),
  );

/**
 * Present, of any type: the decider judges the value once the user is found, as MLflow does. Named
 * isBoolean so the OpenAPI document states the type it takes.
 */
function PresentFlag(): PropertyDecorator {
  return (target, propertyName) => {
    Present()(target, propertyName);
    registerDecorator({
      name: 'isBoolean',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: { validate: () => true },
    });
  };
}

export class UsernameDto {
  @PresentText() username!: string | null;
}

export class CreateUserDto extends UsernameDto {
  @PresentText() @Documented({ minLength: 12 }) password!: string | null;
}

export class UpdatePasswordDto extends UsernameDto {
  @PresentText() @Documented({ minLength: 12 }) password!: string | null;
  /** Required when users change their own password. */
  @StringField() current_password?: string;
}

export class UpdateAdminDto extends UsernameDto {
  @PresentFlag() is_admin!: unknown;
}
