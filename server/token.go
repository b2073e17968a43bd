package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// TokenHash is the SHA-256 of a bearer token as the partners file stores it.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newSecret returns 32 random bytes, hex encoded.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
