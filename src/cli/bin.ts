/* The `relu-patterns` executable: runs the command line tool and exits with its code. */
import { main } from './main.js'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`relu-patterns: ${String(error)}\n`)
    process.exitCode = 1
  },
)
