/**
 * Bad input to the analyzer — an unreachable cloud, refused credentials, a
 * malformed dump, a query naming nothing known. The CLI prints the message
 * alone (no stack trace) and exits with status 2.
 */
export class InputError extends Error {
  override name = 'InputError';

  constructor(message: string) {
    // printed as one line: text quoted from servers and files may carry newlines
    super(message.replace(/\s*\n\s*/g, ' ').trim());
  }
}
