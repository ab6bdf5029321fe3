// Classify images with a jitnet model exported to ONNX, from Node.js (onnxruntime-node).
//   node classify.mjs model.onnx images.f32 N H W C  ->  prints {"predictions": [...]} as JSON
// images.f32 holds N*H*W*C little-endian float32 values (channels last).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const [modelPath, imagesPath, ...dims] = process.argv.slice(2);
const shape = dims.map(Number);
const bytes = readFileSync(imagesPath);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);

const session = await ort.InferenceSession.create(modelPath);
const input = new ort.Tensor('float32', data, shape);
const out = await session.run({ [session.inputNames[0]]: input });
const logits = out[session.outputNames[0]];
const classes = logits.dims[1];
const predictions = [];
for (let i = 0; i < logits.dims[0]; i++) {
  let best = 0;
  for (let k = 1; k < classes; k++) {
    if (logits.data[i * classes + k] > logits.data[i * classes + best]) best = k;
  }
  predictions.push(best);
}
console.log(JSON.stringify({ predictions }));
