// class-transformer keeps @Type() metadata here but ships no typings for the CommonJS path.
declare module 'class-transformer/cjs/storage' {
  export const defaultMetadataStorage: {
    findTypeMetadata(
      target: unknown,
      property: string,
    ): { typeFunction: () => new (...args: never[]) => unknown } | undefined;
  };
}
