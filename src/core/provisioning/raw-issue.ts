/** A problem found by a rule zod cannot express, with the path of the offending value. */
export interface RawIssue {
  path: Array<string | number>;
  message: string;
}
