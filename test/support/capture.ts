import { PassThrough } from 'node:stream';

/** A writable stream that remembers what was written, for asserting on log output. */
export function captureStream(options: { isTTY?: boolean } = {}): {
  stream: PassThrough;
  text: () => string;
} {
  const stream = Object.assign(new PassThrough(), options.isTTY ? { isTTY: true } : {});
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk;
  });
  return { stream, text: () => text };
}
