export * from './change-events';
export * from './changes-stream';
