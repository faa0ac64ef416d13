// Tap stages (tapable's `stage` option): lower stages run first. Plugins order their taps with
// these names rather than by the order plugins happen to load in.
export const STAGE = {
  /** Proposals a later tap may refine or override (a buildpack's default process types). */
  defaults: -100,
  normal: 0,
  /** What has the last word (the app's own Procfile is `normal`; operators' policies come here). */
  overrides: 100,
} as const;
