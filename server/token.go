package server

import (
	"crypto/sha256"
	"encoding/hex"
)

// TokenHash is the SHA-256 of a bearer token as the partners file stores it.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
