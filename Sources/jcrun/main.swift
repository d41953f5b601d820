import CSpawn
import Foundation
import JobControl

BrokenPipe.install()
// A file-size limit (`ulimit -f`) reached by a store write: the write fails
// with EFBIG and the build ends `store_failed` (exit 2), instead of SIGXFSZ
// killing jcrun and leaving its builds `running`. Jobs get SIGXFSZ's default
// back (CSpawn resets it in the child).
signal(SIGXFSZ, SIG_IGN)
_ = OpenFileLimit.raise()  // -j N needs a descriptor budget (OpenFileLimit)
// A build's log passes through 64 KiB chunks made and freed on the store's
// writer thread; by default glibc hands each freed one back to the kernel
// (`madvise`, a TLB flush on every core) and faults it in again for the
// next: 1,200 calls for a million lines. Keeping 32 MiB of freed memory per
// heap costs no peak memory (it is the same memory, used again) and about
// 6 ms of CPU less on that run (bench/ANALYSIS.md, W4).
_ = jc_keep_freed_heap(32 << 20)
exit(Jcrun.main(Array(CommandLine.arguments.dropFirst()), raw: ArgumentEscaping.processArguments()))
