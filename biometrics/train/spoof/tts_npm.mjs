// tts_npm.mjs -- batch synthesis with the npm engines (anti-spoofing training data generator).
// Usage: node tts_npm.mjs JOBS.jsonl   (run with NODE_PATH or from a folder where
// `npm install sam-js @echogarden/gnuspeech-wasm` was run)
// Each line: {"engine": "sam"|"gnuspeech", "text": "...", "out": "file.wav", "params": {...}}
// SAM (Software Automatic Mouth, a 1982 formant synthesiser, JavaScript port sam-js) and
// GnuSpeech (an articulatory tube-model synthesiser, @echogarden/gnuspeech-wasm, MIT).
import { readFileSync, writeFileSync } from 'fs'
import { createRequire } from 'module'
const require = createRequire(process.cwd() + '/')
const SamJs = require('sam-js')
const { synthesize } = await import(require.resolve('@echogarden/gnuspeech-wasm'))
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line.trim()) continue
  const j = JSON.parse(line)
  try {
    if (j.engine === 'sam') {
      const sam = new SamJs(j.params)
      writeFileSync(j.out, Buffer.from(sam.wav(j.text)))
    } else {
      const r = await synthesize(j.text, j.params)
      writeFileSync(j.out, r.audioData)
    }
  } catch (e) { console.error(`tts_npm: ${j.out}: ${e}`) }
}
