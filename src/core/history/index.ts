export { CallHistoryRecorder, directionOf } from './call-history-recorder.js';
export type { CallHistoryRecorderOptions } from './call-history-recorder.js';
