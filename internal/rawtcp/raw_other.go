//go:build !linux

package rawtcp

import "syscall"

// Elsewhere Wrap leaves connections as they are.
const supported = false

func rawRead(uintptr, []byte) (int, syscall.Errno)  { return 0, syscall.ENOSYS }
func rawWrite(uintptr, []byte) (int, syscall.Errno) { return 0, syscall.ENOSYS }
