// The concbench peer in Go: a goroutine per task, a buffered channel of W slots
// as the semaphore, a WaitGroup for the end, one keep-alive http.Client.
// Standard library only; the protocol is in peers/README.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const (
	exitUsage           = 2
	exitUnknownWorkload = 3
)

// The power check's modulus, 2^61-1, as in the C workload.
var powerMod = new(big.Int).SetUint64(1<<61 - 1)

type urlList []string

func (u *urlList) String() string     { return strings.Join(*u, " ") }
func (u *urlList) Set(v string) error { *u = append(*u, v); return nil }

type job struct {
	workload string
	params   map[string]string
	tasks    int
	workers  int
	urls     urlList
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "concbench peer: "+format+"\n", args...)
	os.Exit(code)
}

func parseArgs() *job {
	j := &job{params: map[string]string{}}
	var params string
	list := flag.Bool("list", false, "print the workloads this peer runs, and exit")
	flag.StringVar(&j.workload, "workload", "", "one of --list's")
	flag.StringVar(&params, "params", "", "the workload's parameters, k=v;k=v")
	flag.IntVar(&j.tasks, "tasks", -1, "N, tasks in the run")
	flag.IntVar(&j.workers, "workers", 0, "W, tasks at once (0: all)")
	flag.Var(&j.urls, "url", "the http workload's URLs, one per fetch, in order")
	flag.Parse()
	if *list {
		fmt.Printf("concbench-peer workloads=%s\n", strings.Join(workloadNames(), ","))
		os.Exit(0)
	}
	if j.workload == "" || j.tasks < 0 || flag.NArg() > 0 {
		fail(exitUsage, "--workload and --tasks are required (see peers/README.md)")
	}
	for _, item := range strings.Split(params, ";") {
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			fail(exitUsage, "--params: '%s' is not key=value", item)
		}
		j.params[k] = v
	}
	if j.workers <= 0 || j.workers > j.tasks {
		j.workers = j.tasks
	}
	return j
}

func (j *job) num(key string, def float64) float64 {
	v, ok := j.params[key]
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		fail(exitUsage, "--params: %s=%s is not a number", key, v)
	}
	return f
}

func (j *job) integer(key string, def int64) int64 {
	v, ok := j.params[key]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		fail(exitUsage, "--params: %s=%s is not an integer", key, v)
	}
	return n
}

// countdown is kept out of line so the loop runs on a value the compiler cannot see.
//
//go:noinline
func countdown(n int64) int64 {
	for n > 0 {
		n--
	}
	return n
}

func power(base, exp int64) bool {
	b, e := big.NewInt(base), big.NewInt(exp)
	full := new(big.Int).Exp(b, e, nil)
	return new(big.Int).Mod(full, powerMod).Cmp(new(big.Int).Exp(b, e, powerMod)) == 0
}

func fetch(client *http.Client, url string, size int64) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return err == nil && resp.StatusCode == 200 && (size < 0 || n == size)
}

func httpTask(j *job) func() bool {
	if len(j.urls) == 0 {
		fail(exitUsage, "the http workload needs at least one --url")
	}
	size := int64(-1)
	if j.params["url"] == "" {
		size = j.integer("bytes", 16384)
	}
	client := &http.Client{
		Timeout:   time.Duration(j.num("timeout_ms", 30000) * float64(time.Millisecond)),
		Transport: &http.Transport{MaxIdleConnsPerHost: j.workers},
	}
	return func() bool {
		for _, u := range j.urls {
			if !fetch(client, u, size) {
				return false
			}
		}
		return true
	}
}

func countdownTask(j *job) func() bool {
	n := j.integer("n", 100000000)
	return func() bool { return countdown(n) == 0 }
}

func powerTask(j *job) func() bool {
	base, exp := j.integer("base", 7777), j.integer("exp", 200000)
	return func() bool { return power(base, exp) }
}

func sleepTask(j *job) func() bool {
	d := time.Duration(j.num("ms", 100) * float64(time.Millisecond))
	steps := j.integer("steps", 1)
	return func() bool {
		for i := int64(0); i < steps; i++ {
			time.Sleep(d)
		}
		return true
	}
}

// mix's chain, as the C workload's: x -> A x + C mod 2^64, checked against its closed form.
const (
	lcgA                 = 6364136223846793005
	lcgC                 = 1442695040888963407
	mixChunk             = 4096 // links between two reads of the thread's CPU clock, about 6 us, as in C
	clockThreadCPUTimeID = 3    // CLOCK_THREAD_CPUTIME_ID
)

// lcgJump is x after n links, by squaring the affine map.
func lcgJump(x, n uint64) uint64 {
	a, c, ra, rc := uint64(lcgA), uint64(lcgC), uint64(1), uint64(0)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			ra, rc = ra*a, rc*a+c
		}
		a, c = a*a, (a+1)*c
	}
	return ra*x + rc
}

//go:noinline
func lcgLinks(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x = x*lcgA + lcgC
	}
	return x
}

func threadCPU() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID,
		uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

type mixChain struct{ x, seed, n uint64 }

// compute links until this goroutine has used cpuNs of CPU. Go has no per-goroutine
// CPU clock: the goroutine is locked to its OS thread for the step, so the thread's
// CPU clock counts its CPU alone (a locked thread runs nothing else), and time it
// waits for a core is not counted, as in C. The price: a goroutine preempted mid-step
// keeps its thread, so under heavy CPU the runtime may start more threads than usual.
func (ch *mixChain) compute(cpuNs int64) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	end := threadCPU() + cpuNs
	for {
		ch.x = lcgLinks(ch.x, mixChunk)
		ch.n += mixChunk
		if threadCPU() >= end {
			break
		}
	}
	return ch.x == lcgJump(ch.seed, ch.n)
}

func mixTask(j *job) func() bool {
	cpuNs := j.integer("cpu_us", 1000) * 1000
	wait := time.Duration(j.num("wait_ms", 9) * float64(time.Millisecond))
	rounds := j.integer("steps", 10)
	var next atomic.Uint64
	return func() bool {
		i := next.Add(1) - 1
		seed := i*0x9e3779b97f4a7c15 + 1
		ch := mixChain{x: seed, seed: seed}
		for r := int64(0); r < rounds; r++ {
			// A part of 0 is left out, as in C.
			if cpuNs > 0 && !ch.compute(cpuNs) {
				return false
			}
			if wait > 0 {
				time.Sleep(wait)
			}
		}
		return true
	}
}

// The workloads this peer runs, in the order --list declares them: each makes one task
// of a job, as a function.
var workloads = []struct {
	name string
	task func(*job) func() bool
}{
	{"countdown", countdownTask},
	{"power", powerTask},
	{"sleep", sleepTask},
	{"http", httpTask},
	{"mix", mixTask},
}

func workloadNames() []string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.name
	}
	return names
}

// task returns one task of the job as a function.
func task(j *job) func() bool {
	for _, w := range workloads {
		if w.name == j.workload {
			return w.task(j)
		}
	}
	fail(exitUnknownWorkload, "unknown workload '%s' (this peer runs: %s)", j.workload,
		strings.Join(workloadNames(), ", "))
	return nil
}

func runAll(j *job, fn func() bool) int64 {
	var ok atomic.Int64
	var wg sync.WaitGroup
	slots := make(chan struct{}, j.workers)
	for i := 0; i < j.tasks; i++ {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if fn() {
				ok.Add(1)
			}
			<-slots
		}()
	}
	wg.Wait()
	return ok.Load()
}

func main() {
	j := parseArgs()
	fn := task(j)
	t0 := time.Now()
	ok := runAll(j, fn)
	wall := time.Since(t0).Seconds()
	fmt.Printf("concbench-peer wall_s=%.6f ok=%d failed=%d\n", wall, ok, int64(j.tasks)-ok)
}
