package monitor

/*
#include <bpf/libbpf.h>

static void lm_libbpf_silence(void) { libbpf_set_print(NULL); }
*/
import "C"

// silenceLibbpf stops libbpf's messages where nothing would show them:
// without --debug, routeLibbpfLog logs them at debug level, and they are
// dropped.  libbpfgo's print function formats each message (twice) and
// calls into Go with it, some thousands at each load (1.5 % of a start in
// Debian's 6.1 under emulation).  libbpfgo installs its function again
// with each module it opens, so this follows bpf.NewModuleFromFileArgs.
func silenceLibbpf() { C.lm_libbpf_silence() }
