// Package rowfile reads and writes the row files of verify --out. A row
// file is JSON lines: a header line (Header: the format version, the hash
// of the run's cases, verify.GridHash, and the parameters that change
// results, verify.Config.Params), then one verify.Row per line, each
// written in one call and synced to disk (Writer), so that an interrupted
// run loses no finished row. A run resumed with other settings (--force)
// appends a new header, which applies to the rows after it. Open locks a
// file for one writer and resumes it; Read reads one in bounded memory,
// checking every row against itself (verify.CheckRow); Set.Check checks
// rows against a grid; Merge combines the rows of shards and resumed runs.
package rowfile
