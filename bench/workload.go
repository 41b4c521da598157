package main

import (
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A workload runs for d and returns the operations it completed.  rate is
// operations per second, 0 for flat out.
type workload struct {
	name string
	run  func(rate int, d time.Duration) uint64
}

// paced calls op at rate per second (0: as fast as workers allow) from
// workers goroutines until d is over.
func paced(rate, workers int, d time.Duration, op func() error) uint64 {
	var done atomic.Uint64
	end := time.Now().Add(d)
	var tokens chan struct{}
	if rate > 0 {
		// tokens are released in batches every millisecond: sleeping per
		// operation cannot reach tens of thousands per second
		tokens = make(chan struct{}, rate/100+workers)
		go func() {
			start := time.Now()
			var sent int64
			for time.Now().Before(end) {
				due := int64(time.Since(start).Seconds() * float64(rate))
				for ; sent < due; sent++ {
					select {
					case tokens <- struct{}{}:
					default: // workers are behind: the rate is not reached, and that is measured
						sent = due
					}
				}
				time.Sleep(time.Millisecond)
			}
			close(tokens)
		}()
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if tokens != nil {
					if _, ok := <-tokens; !ok {
						return
					}
				}
				if op() == nil {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return done.Load()
}

// execStorm: fork+exec of /bin/true (Sysmon for Linux's published method).
func execStorm(rate int, d time.Duration) uint64 {
	return paced(rate, 4, d, func() error { return exec.Command("/bin/true").Run() })
}

// openStorm opens and closes path: an ordinary file is filtered in the
// kernel, a watched one is sent to user space each time.
func openStorm(path string) func(int, time.Duration) uint64 {
	return func(rate int, d time.Duration) uint64 {
		return paced(rate, 1, d, func() error {
			fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			return unix.Close(fd)
		})
	}
}

// createStorm makes a new file in dir and removes it: every creating open
// pays the kernel side's FMODE_CREATED check (timestomping's "creators").
func createStorm(dir string) func(int, time.Duration) uint64 {
	return func(rate int, d time.Duration) uint64 {
		name := dir + "/create-storm"
		return paced(rate, 1, d, func() error {
			fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
			if err != nil {
				return err
			}
			unix.Close(fd)
			return unix.Unlink(name)
		})
	}
}

// pwriteStorm writes 8 bytes at offset 0 of path: what a database does all
// day, and what the kernel side now tells from a write into /proc/PID/mem.
func pwriteStorm(path string) func(int, time.Duration) uint64 {
	return func(rate int, d time.Duration) uint64 {
		fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0
		}
		defer unix.Close(fd)
		buf := []byte("12345678")
		return paced(rate, 1, d, func() error {
			_, err := unix.Pwrite(fd, buf, 0)
			return err
		})
	}
}

// connectStorm makes TCP connects to a loopback listener.
func connectStorm(rate int, d time.Duration) uint64 {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	sa := &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte{127, 0, 0, 1}}
	return paced(rate, 2, d, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Connect(fd, sa)
	})
}

// udpStorm sends one byte at a time from a UDP socket to itself on
// 127.0.0.1, never read (the kernel drops what the full buffer cannot
// take): a network call hooked, reported once, then only counted in the
// kernel's fold map.
func udpStorm(rate int, d time.Duration) uint64 {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return 0
	}
	to, err := unix.Getsockname(fd)
	if err != nil {
		return 0
	}
	b := []byte("x")
	return paced(rate, 1, d, func() error {
		return unix.Sendto(fd, b, unix.MSG_DONTWAIT, to)
	})
}

// mixed runs an exec, file and connect storm side by side.
func mixed(ordinary string) func(int, time.Duration) uint64 {
	return func(rate int, d time.Duration) uint64 {
		var n atomic.Uint64
		var wg sync.WaitGroup
		for _, f := range []func(int, time.Duration) uint64{execStorm, openStorm(ordinary), connectStorm} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.Add(f(rate/3, d))
			}()
		}
		wg.Wait()
		return n.Load()
	}
}

// ordinaryFile makes a file nobody watches.
func ordinaryFile(dir string) string {
	p := dir + "/ordinary"
	os.WriteFile(p, []byte("x"), 0o644)
	return p
}
