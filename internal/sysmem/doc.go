// Package sysmem reports how much more memory the process may allocate
// before the system, a resource limit or a control group stops it: the
// smallest of
//
//   - MemAvailable of /proc/meminfo (the memory the kernel can hand out
//     without swapping),
//   - RLIMIT_AS and RLIMIT_DATA (the address-space and data-segment limits
//     that `ulimit -v` and `ulimit -d` set) less the process's current
//     VmSize and VmData,
//   - the memory limit of the process's control group and of each of its
//     ancestors (cgroup v2 memory.max, cgroup v1 memory.limit_in_bytes:
//     what Slurm's --mem and container runtimes set) less the group's usage
//     (memory.current or memory.usage_in_bytes) without its inactive file
//     pages, which the kernel reclaims before it refuses memory,
//
// and which of them it is, so that a refusal can name the limit that
// refused. [Current] reads the running system; where none of these can be
// read (other operating systems) it reports no limit.
package sysmem
