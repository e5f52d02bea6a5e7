// The wire protocol, shared by the server and the client library: one definition of every frame,
// event name, close code and error code. It uses no Node API, so browsers can load it.
export { CloseCode, type CloseCodeValue } from './close-codes.js';
export {
  ErrorCode,
  MAX_JSON_DEPTH,
  MAX_REQUEST_ID_LENGTH,
  RequestErrorCode,
  type ChatErrorCode,
} from './error-codes.js';
export {
  ClientEvent,
  EVENT_NAME_PATTERN,
  eventNameProblem,
  RESERVED_EVENTS,
  ServerEvent,
} from './events.js';
export {
  ackErrorText,
  ackText,
  encodeRoomPositions,
  envelopeProblem,
  EPOCH_PATTERN,
  MAX_ROOM_POSITIONS_LENGTH,
  errorText,
  heartbeatText,
  messageText,
  parseEnvelope,
  pushHead,
  RecoveryParameter,
  storedPushText,
  welcomeText,
  withAckId,
  type Envelope,
  type ErrorData,
  type RoomMembershipData,
  type RoomPosition,
  type ServerFrame,
  type WelcomeData,
} from './frames.js';
