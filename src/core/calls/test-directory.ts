import type { Net } from '../../sip/ua/test-net.js';
import type { DeviceRecord, RegistrationRecord, WorkplaceRecord } from '../../store/types.js';
import type { LocationService } from '../registrar/location-service.js';

/** Directory and location stand-ins for the call-model tests on the in-memory network (not part of the API). */

export function testWorkplace(tenantId: string, extension: string): WorkplaceRecord {
  return { tenantId, extension, name: `WP ${extension}`, email: null, language: 'de', packages: [] };
}

export function testDevice(tenantId: string, username: string, extension: string): DeviceRecord {
  return { tenantId, username, workplaceExtension: extension, kind: 'deskphone', ha1Md5: '', ha1Sha256: '' };
}

/**
 * A location service where every device is registered at peer a of `net` (reached from peer b, the PBX), except
 * the usernames in `unregistered`.
 */
export function testLocation(net: Net, unregistered: readonly string[] = []): LocationService {
  return {
    lookup: (tenantId: string, username: string): RegistrationRecord[] =>
      unregistered.includes(username)
        ? []
        : [
            {
              tenantId,
              username,
              contact: `sip:${username}@10.0.0.1`,
              contactParams: '',
              q: null,
              callId: 'reg',
              cseq: 1,
              expiresAt: 1e15,
              flowProtocol: 'udp',
              flowLocalAddress: net.b.ep.address,
              flowLocalPort: net.b.ep.port,
              flowAddress: net.a.ep.address,
              flowPort: net.a.ep.port,
            } as RegistrationRecord,
          ],
  } as unknown as LocationService;
}
