export {
  createGatewayClient,
  GatewayError,
  sameSession,
  type GatewayClient,
  type OperatorScope,
  type SocketLike,
} from './gateway-client.ts';
export {
  parseFrame,
  textOf,
  PROTOCOL_VERSION,
  type ChatEvent,
  type HistoryMessage,
  type HelloOk,
  type Frame,
} from './frames.ts';
export {
  MODEL_PROVIDERS,
  MODEL_SETTINGS_SCOPES,
  ModelSettingsError,
  readModelStatus,
  setModelProvider,
  testModelConnection,
  type ConnectionTest,
  type ModelProvider,
  type ModelSettings,
  type ModelSettingsErrorCode,
  type ModelStatus,
  type ProbeStatus,
} from './model-settings.ts';
