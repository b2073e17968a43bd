// Package archtest holds the one test that says which package may import
// what (see imports_test.go); it has no code of its own.
package archtest
