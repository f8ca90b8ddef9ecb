// rtpengine as a media backend (docs/media.md): its ng control protocol and the WebRTC gateway on top of it.
export { bdecode, bencode, BencodeError, type BValue } from './bencode.js';
export {
  NgClient,
  NgError,
  type NgCallRef,
  type NgClientOptions,
  type NgDict,
  type NgErrorCode,
} from './ng-client.js';
export { plainAddressOf, RtpengineGateway, type RtpengineGatewayOptions } from './rtpengine-gateway.js';
export { RtpengineMediaEngine, sameWire, type RtpengineEngineOptions } from './rtpengine-engine.js';
export { ngAddressOf, ngSdp, RtpengineEndpoint } from './rtpengine-endpoint.js';
