// Package supervise runs the sandbox's child processes: each is its own OS
// process with its output appended to a log file, restarted with exponential
// backoff when it dies unasked, and stopped with a signal, a grace period and
// then SIGKILL. It is the small part of a process manager the sandbox needs,
// so that `make demo` behaves like a real deployment whose services crash and
// come back.
package supervise
