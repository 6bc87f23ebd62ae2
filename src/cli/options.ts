import { InvalidArgumentError } from "commander";

/** A commander parser for a whole-number option, refusing anything else with the option's name. */
export function integer(name: string, min = 0) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(
        `${name} must be a whole number${min > 0 ? ` of at least ${min}` : ""}, got '${value}'.`,
      );
    return Number(value);
  };
}
