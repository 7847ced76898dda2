// Runs each code block file given on the command line as a module, with the givens set afresh
// before each; prints one JSON line: the blocks that failed, with their errors.
import { setGivens } from './givens.js'

const failed: { file: string; error: string }[] = []
for (const file of process.argv.slice(2)) {
  await setGivens()
  try {
    await import(file)
  } catch (error) {
    failed.push({ file, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
  }
}
console.log(JSON.stringify({ ran: process.argv.length - 2, failed }))
