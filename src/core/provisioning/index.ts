export { parseProvisioning, ProvisioningError, formatIssue } from './parse.js';
export type { ProvisioningIssue } from './parse.js';
export { planProvisioning, applyProvisioning, formatChanges } from './plan.js';
export { devicePasswordProblem, MIN_PASSWORD_LENGTH } from './password-policy.js';
export * from './types.js';
export { Provisioner, type ProvisioningListener } from './provisioner.js';
export { loadTenantDraft } from './tenant-draft.js';
export type { TenantDraft, DraftTenant, DraftWorkplace, DraftDevice } from './tenant-draft.js';
