export {
  createGatewayClient,
  GatewayError,
  sameSession,
  type GatewayClient,
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
