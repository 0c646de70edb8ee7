/** A refusal or failure in words, announced to screen readers; nothing when there is none. */
export function ErrorText({ error, testId }: { error: string | null | undefined; testId?: string }) {
  return error ? (
    <p role="alert" className="error" data-testid={testId}>
      {error}
    </p>
  ) : null;
}
