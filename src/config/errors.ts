// Configuration errors. One error can carry several problems, so a user fixes a file in one go.

/** Where a value came from. */
export interface Source {
  kind: 'environment' | 'user file' | 'config()' | 'system file' | 'default' | 'implied' | 'command line';
  file?: string;
  line?: number;
}

export function describeSource(s: Source): string {
  if (s.file) return `${s.file}${s.line ? `:${s.line}` : ''}`;
  return s.kind === 'environment' ? 'the environment' : s.kind;
}

export interface Problem {
  message: string;
  source?: Source;
}

export class ScrConfigError extends Error {
  readonly code = 'ERR_SCR_CONFIG';
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => (p.source ? `${describeSource(p.source)}: ` : '') + p.message).join('\n'));
    this.name = 'ScrConfigError';
  }
}
