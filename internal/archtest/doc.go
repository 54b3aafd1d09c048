// Package archtest holds the test that enforces the import arrows of
// docs/ARCHITECTURE.md: a forbidden import fails the build with the rule it
// breaks. It has no code of its own.
package archtest
