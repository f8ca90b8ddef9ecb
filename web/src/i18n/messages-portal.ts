/** Strings of the MyPortal, admin and wallboard pages (same rules as messages.ts). */
export const en = {} as const;

export const de: Record<keyof typeof en, string> = {};
