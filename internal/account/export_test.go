package account

import "sync/atomic"

// CountPasswordChecks counts the password checks sign-ins run until the
// test ends.
func CountPasswordChecks(cleanup func(func())) func() int64 {
	var n atomic.Int64
	real := verifyPassword
	verifyPassword = func(hash, password string) bool { n.Add(1); return real(hash, password) }
	cleanup(func() { verifyPassword = real })
	return n.Load
}
