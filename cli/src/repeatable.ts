/** Commander's argument parser for a repeatable flag: `--to a --to b` → `['a', 'b']`. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
