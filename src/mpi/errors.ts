// Errors raised by the MPI binding.

/** An MPI call failed. `errorClass` is the MPI error class name (e.g. 'MPI_ERR_TRUNCATE'),
 * `errorCode` the implementation's code, and the message includes MPI_Error_string's text. */
export class MpiError extends Error {
  readonly code = 'ERR_MPI';
  constructor(message: string, readonly errorClass: string, readonly errorCode: number) {
    super(message);
    this.name = 'MpiError';
  }
}
