package gormstore

// The ways the payment import writes rows (see writeMode), for tests
// that hold each to the same record.
const (
	WriteDefault = writeDefault
	WriteValues  = writeValues
	WriteStaged  = writeStaged
)

// SetWriteMode makes s's payment writers write rows the way m says.
func SetWriteMode(s *Store, m writeMode) { s.writeMode = m }
