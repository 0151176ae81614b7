// Types for the `sockopt` package (integer socket options on Node sockets; it ships none).
declare module 'sockopt' {
  import type { Server, Socket } from 'node:net';
  import type { Socket as UdpSocket } from 'node:dgram';
  type WithFd = Socket | Server | UdpSocket;
  export function getsockopt(socket: WithFd, level: number, option: number): number;
  export function setsockopt(socket: WithFd, level: number, option: number, value: number): void;
}
