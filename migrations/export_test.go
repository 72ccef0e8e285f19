package migrations

import "embed"

// FS exposes the embedded files to the external tests.
func FS() embed.FS { return files }
