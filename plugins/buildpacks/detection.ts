// What the buildpacks plugin's taps hand on to each other within one build.
import type { BuildContext, Buildpack, DetectResult } from '../../server/plugin-api.ts';

/** Detection.data of the buildpack builder. */
export interface BuildpackDetection {
  packs: Buildpack[];
  /** bin/detect's answer for each pack, in order. */
  detected: DetectResult[];
  /** The app named its buildpacks (BUILDPACK_URL or .buildpacks). */
  chosen: boolean;
}

/** The build's own copies of the buildpacks that compiled, in order: bin/release runs from them. */
export const compiledPacks = new WeakMap<BuildContext, Buildpack[]>();

/** The process types the buildpacks proposed, and whose they were: the Procfile note compares. */
export const proposedDefaults = new WeakMap<BuildContext, { types: Record<string, string>; by: string }>();
