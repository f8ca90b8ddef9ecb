/**
 * Call park codes (docs/feature-codes.md, "Call park"): `*68` parks (as the Refer-To of a blind transfer, or
 * dialled from another line while the call is on hold), optionally at a chosen location (`*68701`); `*88` + a
 * location retrieves from any phone of the tenant.
 */
export interface ParkCode {
  code: string;
  takesArgument: boolean;
  argumentOptional?: boolean;
  id: string;
  description: string;
}

export const PARK_ID = 'park.park';
export const RETRIEVE_ID = 'park.retrieve';

export const PARK_CODES: readonly ParkCode[] = [
  {
    code: '*68',
    takesArgument: true,
    argumentOptional: true,
    id: PARK_ID,
    description: 'park the call (*68, or *68 + location)',
  },
  {
    code: '*88',
    takesArgument: true,
    id: RETRIEVE_ID,
    description: 'retrieve a parked call (*88 + location)',
  },
];
