package members

// SetIterateChunk lets tests cross Iterate's chunk boundaries with a few members.
func SetIterateChunk(s *Store, n int) { s.chunk = n }
