/** The validated content of a provisioning file: typed, normalised, and without any plain-text password. */

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Booked add-on packages a workplace may have; features check these before offering a service. */
export const PACKAGES = ['group', 'assistant', 'callcenter', 'conference', 'chat'] as const;
export type PackageName = (typeof PACKAGES)[number];

export const DEVICE_KINDS = ['deskphone', 'softphone', 'webrtc'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export interface SourcePosition {
  line: number;
  column: number;
}

export interface ProvisionedDevice {
  username: string;
  kind: DeviceKind;
  /** HA1 for realm = the tenant's domain; the password itself is dropped right after parsing. */
  ha1Md5: string;
  ha1Sha256: string;
}

export interface ProvisionedWorkplace {
  extension: string;
  name: string;
  email: string | null;
  language: Language;
  /** Sorted, without duplicates. */
  packages: PackageName[];
  devices: ProvisionedDevice[];
}

export interface ProvisionedTenant {
  id: string;
  name: string;
  /** Lower-case. */
  domain: string;
  workplaces: ProvisionedWorkplace[];
  /** Where the domain was written, for errors found only against the store (domain owned by another tenant). */
  domainAt: SourcePosition;
}

export interface ProvisioningDoc {
  file: string;
  tenants: ProvisionedTenant[];
}

export interface FieldChange {
  field: string;
  /** Omitted for secrets: a change is reported, never the values. */
  from?: unknown;
  to?: unknown;
  secret?: boolean;
}

export interface ProvisioningChange {
  action: 'create' | 'update' | 'delete';
  entity: 'tenant' | 'workplace' | 'device';
  tenantId: string;
  /** Tenant id, workplace extension or device username. */
  key: string;
  /** What differs, for updates; empty for create and delete. */
  fields: FieldChange[];
}
