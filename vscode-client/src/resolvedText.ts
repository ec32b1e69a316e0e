/** The text of the resolved view: the server's `dagster/resolved` answer, its errors listed first with their lines. */

export interface ResolvedError {
  message: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

export interface ResolvedAnswer {
  text: string;
  errors: ResolvedError[];
}

/** `# file.yaml:16: message` comments (1-based lines, as editors show them) above the rendered YAML. */
export function resolvedText(answer: ResolvedAnswer, fileName: string): string {
  const header = answer.errors.map((e) => `# ${fileName}:${e.range.start.line + 1}: ${e.message.replace(/\s+/g, " ")}`);
  if (!answer.text && header.length === 0) return "# Nothing to show: the file has no component document.\n";
  return [...header, ...(header.length && answer.text ? [""] : []), answer.text].join("\n");
}
