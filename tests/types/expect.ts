type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/** `expectType<T>()(value)` compiles only when `value`'s type is exactly T, not merely assignable to it. */
export function expectType<T>() {
  return <U>(value: U, ..._exact: Equal<T, U> extends true ? [] : ['type is not exactly the expected one']): void => {
    void value;
  };
}
