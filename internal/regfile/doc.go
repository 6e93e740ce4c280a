// Package regfile opens the files nccheck reads and writes, refusing
// anything but a regular file (a FIFO would block forever, a device never
// ends, a directory is not data) before reading from it, and takes the
// exclusive lock of a file that one process at a time may write.
//
// A path is checked twice: with a stat before it is opened and with an
// fstat of the descriptor opened without blocking (O_NONBLOCK), so a FIFO
// swapped in between cannot block the open. Locks are a BSD flock (which
// two descriptors of one process contend for too) and a POSIX record lock
// (whose holder's process id the kernel reports, so that a refusal can name
// it); both end when the file is closed. Where the system has neither
// (non-Unix systems), Lock does nothing.
package regfile
