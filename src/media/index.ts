// The media layer's public surface: the B2BUA imports from here (or from media-engine.ts / sdp/sdp.ts directly).
export * from './media-engine.js';
// The factory lives with its implementation so that the interfaces above import nothing that implements them.
export { createMediaEngine } from './udp-media-engine.js';
export * from './sdp/sdp.js';
export { isSendableMediaAddress } from './net/address.js';
export * from './sdp/formats.js';
export * from './sdp/sdp-session.js';
export { refusesOurSrtp } from './sdp/sdp-srtp.js';
export { SRTP_SUITES, type SrtpSuite } from './srtp/srtp-keys.js';
export type { SrtpKeyMaterial } from './srtp/srtp-context.js';
export { canBridge, transcodableEncoding, type TranscodableEncoding } from './codec/transcoder.js';
export * from './webrtc/media-gateway.js';
export { WeriftGateway, type WeriftGatewayOptions } from './webrtc/werift-gateway.js';
export { isWebRtcSdp } from './webrtc/webrtc-sdp.js';
export * from './rtpengine/index.js';
