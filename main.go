// ebpf-log-monitor watches the kernel through eBPF and reports what ran,
// what it opened, where it connected and who tried to become root, as text
// or JSON lines.  main only parses flags, wires signals and maps errors to
// exit codes; the work is in monitor/.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor"
)

// version is set at link time (-X main.version=...).
var version = "dev"

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	app := newApp()
	err := app.Run(args)
	if err == nil {
		return 0
	}
	var merr *monitor.Error
	if errors.As(err, &merr) {
		fmt.Fprintf(os.Stderr, "ebpf-log-monitor: %v\n", merr.Err)
		return merr.Code
	}
	// urfave/cli's own parse errors, and our flag validation
	fmt.Fprintf(os.Stderr, "ebpf-log-monitor: %v (see --help)\n", err)
	return monitor.ExitUsage
}

// hangups delivers SIGHUP (reload the policy) without blocking the sender.
func hangups() <-chan struct{} {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		for range ch {
			select {
			case out <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()
	return out
}

// signalContext is cancelled by the first SIGINT/SIGTERM; a second one
// exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		sig := <-ch
		fmt.Fprintf(os.Stderr, "ebpf-log-monitor: second %v, exiting now\n", sig)
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
