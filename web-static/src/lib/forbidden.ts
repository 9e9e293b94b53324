// A 403 from the API may mean that the person's role changed under them: the shell then re-reads it. Typed pages get
// that as ctx.onForbidden; the shared form, dialog and toast helpers, which have no page context, call it from here.

let handler: () => void = () => {};

/** Set once by the shell (shell/app.ts). */
export function setForbiddenHandler(fn: () => void): void {
  handler = fn;
}

export function reportForbidden(): void {
  handler();
}
