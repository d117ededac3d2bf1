// Which models a caller may ask for: the aliases and patterns of its entry in the callers file,
// matched against the name it asked for (an alias is allowed by its own name, not its models).

/** Whether `model` (without `models/`) matches one of `patterns`, where `*` matches any run of characters. */
export function isModelAllowed(model: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(model));
}

const compiled = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (regexp === undefined) {
    const source = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join(".*");
    regexp = new RegExp(`^${source}$`);
    compiled.set(pattern, regexp);
  }
  return regexp;
}
