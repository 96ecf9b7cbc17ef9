// A model key entered in the deploy wizard waits here, in this tab's memory only, until the new server is
// ready; then it goes through the pipe like any other settings change, and is forgotten. Closing or
// reloading the page forgets it too: the instance page then asks for it (docs/model-keys.md).
import type { ModelSettings } from '@claw/openclaw';

const pending = new Map<string, ModelSettings>();

export function holdModelSettings(instanceId: string, settings: ModelSettings): void {
  pending.set(instanceId, settings);
}

export function hasPendingModelSettings(instanceId: string): boolean {
  return pending.has(instanceId);
}

/** Hands the settings over once; afterwards nothing in the page holds the key. */
export function takeModelSettings(instanceId: string): ModelSettings | undefined {
  const settings = pending.get(instanceId);
  pending.delete(instanceId);
  return settings;
}
