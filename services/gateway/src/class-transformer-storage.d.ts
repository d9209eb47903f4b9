// class-transformer keeps @Type() and @Transform() metadata here but ships no typings for the CommonJS path.
declare module 'class-transformer/cjs/storage' {
  export const defaultMetadataStorage: {
    findTypeMetadata(
      target: unknown,
      property: string,
    ): { typeFunction: () => new (...args: never[]) => unknown } | undefined;
    findTransformMetadatas(
      target: unknown,
      property: string,
      transformationType: number,
    ): Array<{ transformFn: (params: { value: unknown }) => unknown }>;
  };
}
